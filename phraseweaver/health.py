"""Liveness (/healthz) and readiness (/health) checks."""

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


class LivenessMiddleware:
    """Answers /healthz before anything checks the Host header or touches the database.

    Fly's health prober sends `Host: <private ip>:<port>`, which ALLOWED_HOSTS rightly rejects.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    # django-redis hides Redis errors from ordinary requests (IGNORE_EXCEPTIONS), so ask the
    # client directly: readiness must see the outage that requests are shielded from.
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    if get_client is not None:
        get_client(write=True).ping()
        return
    cache.set("health-check", "ok", 5)
    if cache.get("health-check") != "ok":
        raise RuntimeError("cache did not return what was stored")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    failed = []
    for name, check in (("database", check_database), ("cache", check_cache)):
        try:
            check()
        except Exception:
            logger.exception("health check failed: %s", name)
            failed.append(name)
    status = 503 if failed else 200
    return JsonResponse({"status": "fail" if failed else "ok", "failed": failed}, status=status)
