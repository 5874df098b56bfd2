from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from accounts import initdata
from accounts.initdata import InitDataError
from accounts.services import device_time_zone_take, user_from_telegram

if TYPE_CHECKING:  # accounts.decorators imports this module
    from accounts.decorators import LearnerRequest

AUTH_SCHEME = "tma "


def unauthorized(reason: str, code: str = InitDataError.code) -> HttpResponse:
    """A 401 whose reason is in words in the body and as a code in WWW-Authenticate's `error`
    (RFC 6750's form): "expired" for initData past its max age, which the Mini App can only
    renew by being reopened (static/js/app.js reads the code), "invalid" for anything else."""
    response = HttpResponse(reason, status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = f'tma realm="phraseweaver", error="{code}"'
    return response


class TelegramInitDataMiddleware:
    """Authenticates Mini App requests by their `Authorization: tma <initData>` header.

    Requests without the header pass through untouched (the shell page, admin, health); views
    that need a learner ask for `request.telegram` (see accounts.decorators). A header that is
    present but wrong is always a 401, whatever its bytes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    # The request becomes a LearnerRequest here: `telegram` is set on every one, and `user`
    # is the learner whenever `telegram` is not None.
    def __call__(self, request: "LearnerRequest") -> HttpResponse:
        request.telegram = None
        header = request.headers.get("Authorization", "")
        if not header.startswith(AUTH_SCHEME):
            return self.get_response(request)
        try:
            data = initdata.validate(
                header.removeprefix(AUTH_SCHEME),
                settings.TELEGRAM_BOT_TOKEN,
                max_age=settings.TELEGRAM_INIT_DATA_MAX_AGE,
            )
        except initdata.InitDataError as error:
            return unauthorized(error.reason, error.code)
        if data.user is None:
            return unauthorized("init data carries no user")
        request.telegram = data
        request.user = user_from_telegram(data.user)
        device_time_zone_take(user=request.user, zone=request.headers.get("X-Time-Zone", ""))
        # A cross-site page cannot set this header, so CSRF tokens add nothing here.
        # Django's CsrfViewMiddleware reads this private flag; django-stubs does not declare it.
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        # LocaleMiddleware (above us) activated a language from Accept-Language for this
        # request; the learner's own choice wins, and its Content-Language follows.
        translation.activate(request.user.language)
        request.LANGUAGE_CODE = request.user.language
        return self.get_response(request)
