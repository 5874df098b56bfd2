from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from phraseweaver.media import media_origin


def content_security_policy(*, media: str | None) -> str:
    """No inline script anywhere: htmx's indicator styles are off (see base.html), and our own
    JavaScript lives in static/js/app.js. Telegram Web frames the app, so it may; nobody else.

    Learners' pictures and sounds come from `media`, the bucket's origin, or from us when it is
    None (the file system); `blob:` plays a recording back before it is uploaded.
    """
    images = "'self' data: https://t.me https://*.telegram.org" + (f" {media}" if media else "")
    sounds = media or "'self'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' https://telegram.org",
            "style-src 'self'",
            f"img-src {images}",
            f"media-src {sounds} blob:",
            "connect-src 'self'",
            "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org",
            "base-uri 'self'",
            "form-action 'self'",
            "object-src 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = content_security_policy(media=media_origin())
        if settings.DEBUG:
            # Django's debug error pages use inline styles.
            self.policy = self.policy.replace(
                "style-src 'self'", "style-src 'self' 'unsafe-inline'"
            )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
