"""Every way a view learns who is asking: Telegram's initData (the middleware has checked it),
or a signed link for downloads, which leave htmx and so lose the Authorization header."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeAlias
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.initdata import InitData
from accounts.middleware import unauthorized
from accounts.models import User
from phraseweaver.htmx import HtmxHttpRequest

SIGNED_LINK_SALT = "cards.download"  # the salt download links have always been signed with
SIGNED_LINK_MAX_AGE = 600


class LearnerRequest(HtmxHttpRequest):
    """What a view behind telegram_user_required or signed_link_or_telegram_user gets."""

    user: User
    telegram: InitData | None


P = ParamSpec("P")
# A response of any kind: a download streams (FileResponse).
LearnerView: TypeAlias = Callable[Concatenate[LearnerRequest, P], HttpResponseBase]


def telegram_user_required(view: LearnerView[P]) -> LearnerView[P]:
    """Lets through requests that the initData middleware authenticated.

    A plain page load without initData (a reload inside Telegram's WebView, a deep link, a
    bookmark) gets the Mini App shell, whose script re-requests the same URL with the header.
    Anything else without initData is a 401.
    """

    @wraps(view)
    def wrapper(request: LearnerRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if request.telegram is not None:
            return view(request, *args, **kwargs)
        if request.method == "GET" and not request.htmx:
            return render(request, "shell.html", {"debug_login": settings.DEBUG})
        return unauthorized("init data is missing")

    return wrapper


def signed_link(request: LearnerRequest, path: str | None = None, /, **query: str) -> str:
    """A link to this path (or to `path`, another of the learner's download URLs) with exactly
    this query, that works for ten minutes without initData.

    The token signs the learner, the path and the query, so a link opens one download: not
    another format, not the page that offers it (which would mint a fresh link, and another,
    for ever). Only a request that initData authenticated gets links.
    """
    if request.telegram is None:
        raise PermissionDenied("only initData gets fresh download links")
    path = request.path if path is None else path
    payload = {"u": request.user.pk, "p": path, "q": query}
    token = signing.dumps(payload, salt=SIGNED_LINK_SALT)
    return f"{path}?{urlencode({**query, 'token': token})}"


def _signed_link_user(request: LearnerRequest) -> User | None:
    """The user a signed link was made for, if its signature, age, path and query all hold."""
    try:
        payload = signing.loads(
            request.GET["token"], salt=SIGNED_LINK_SALT, max_age=SIGNED_LINK_MAX_AGE
        )
    except signing.BadSignature:  # SignatureExpired included
        return None
    query = {name: values for name, values in request.GET.lists() if name != "token"}
    if (
        not isinstance(payload, dict)
        or payload.get("p") != request.path
        or not isinstance(payload.get("q"), dict)
        or query != {name: [value] for name, value in payload["q"].items()}
        or len(request.GET.getlist("token")) != 1
        or "u" not in payload
    ):
        return None
    return User.objects.filter(pk=payload["u"]).first()


def signed_link_or_telegram_user(view: LearnerView[P]) -> LearnerView[P]:
    """Like telegram_user_required, but also accepts a link from signed_link() for the path."""

    @wraps(view)
    def wrapper(request: LearnerRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if request.telegram is None and "token" in request.GET:
            user = _signed_link_user(request)
            if user is None:
                return HttpResponseForbidden(_("This download link has expired."))
            request.user = user
            return view(request, *args, **kwargs)
        return telegram_user_required(view)(request, *args, **kwargs)

    return wrapper
