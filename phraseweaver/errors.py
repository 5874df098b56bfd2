"""Error pages. A database outage is a short 503, not a 500: the client may retry, and
monitoring can tell an outage from a bug."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

DATABASE_ERRORS = (OperationalError, InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    # handler500, not a middleware's process_exception: that would see only the views'
    # exceptions, while every learner request first queries the database in
    # TelegramInitDataMiddleware. Django calls this inside its `except`, so exc_info is set.
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable()
    return defaults.server_error(request)


def database_unavailable() -> HttpResponse:
    return HttpResponse(
        _("PhraseWeaver is briefly unavailable. Please try again in a moment."),
        status=503,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": "5"},
    )
