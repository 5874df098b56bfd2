from functools import wraps

from django.conf import settings
from django.shortcuts import render

from accounts.middleware import unauthorized


def telegram_user_required(view):
    """Lets through requests that the initData middleware authenticated.

    A plain page load without initData (a reload inside Telegram's WebView, a deep link, a
    bookmark) gets the Mini App shell, whose script re-requests the same URL with the header.
    Anything else without initData is a 401.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.telegram is not None:
            return view(request, *args, **kwargs)
        if request.method == "GET" and not request.htmx:
            return render(request, "shell.html", {"debug_login": settings.DEBUG})
        return unauthorized("init data is missing")

    return wrapper
