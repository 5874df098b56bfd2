"""The client's address, as far as it can be trusted.

Behind Fly's proxy every request comes from the proxy (REMOTE_ADDR), and the proxy names the
client in `Fly-Client-IP`. A client can send that header itself, so it counts only when the
app is configured to be behind the proxy (BEHIND_FLY_PROXY), which replaces any such header
with its own; anywhere else it is ignored.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE: the address that failed logins are counted for."""
    if settings.BEHIND_FLY_PROXY:
        forwarded = request.META.get("HTTP_FLY_CLIENT_IP", "").strip()
        try:
            return str(ipaddress.ip_address(forwarded))
        except ValueError:
            pass  # missing or malformed: the proxy's own address is all we know
    return request.META.get("REMOTE_ADDR")
