"""Helpers every app's views share for answering htmx and plain requests alike."""

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django_htmx.http import HttpResponseLocation
from django_htmx.middleware import HtmxDetails

# On a 4xx answer, this header asks static/js/app.js to show the page instead of an error flash
# (htmx swaps no error answer by itself).
ERROR_PAGE_HEADER = "X-Error-Page"


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (the type django-htmx documents)."""

    htmx: HtmxDetails


def page_or_part(request: HtmxHttpRequest, template: str, part: str) -> str:
    """The template to render: the named partial for htmx, the whole page otherwise."""
    return f"{template}#{part}" if request.htmx else template


def error_page(response: HttpResponse) -> HttpResponse:
    """Mark an error answer (a 404 that explains itself) as a page for htmx to show."""
    response[ERROR_PAGE_HEADER] = "1"
    return response


def is_fragment(request: HtmxHttpRequest) -> bool:
    """An htmx request for part of a screen, not for the whole #app (a navigation, the shell's
    first load, a history restore)."""
    htmx = request.htmx
    return bool(htmx) and htmx.target != "app" and not htmx.history_restore_request


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST; None (an unbound form) for a GET."""
    return request.POST if request.method == "POST" else None


def navigate(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """After a successful POST: htmx loads `url` into #app and pushes it; a plain POST redirects."""
    if request.htmx:
        return HttpResponseLocation(url, target="#app")
    return redirect(url)
