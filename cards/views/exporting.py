from functools import wraps

from django.core import signing
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import telegram_user_required
from accounts.models import User
from cards import exporting
from cards.models import get_deck_for_user

TEMPLATE = "cards/export.html"
LINK_SALT = "cards.download"
LINK_MAX_AGE = 600
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv", exporting.deck_csv),
    "apkg": ("application/octet-stream", "apkg", exporting.deck_apkg),
}


def signed_link(request, user, query: str) -> str:
    """A link to this page's download that works for ten minutes without initData: downloads
    leave htmx (the WebView or Telegram's downloadFile fetches them) and so lose the header."""
    token = signing.dumps({"u": user.pk, "p": request.path}, salt=LINK_SALT)
    return f"{request.path}?{query}&token={token}"


def download_view(view):
    """Like telegram_user_required, but also accepts a signed link for the same path."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.telegram is None and "token" in request.GET:
            try:
                payload = signing.loads(request.GET["token"], salt=LINK_SALT, max_age=LINK_MAX_AGE)
            except signing.BadSignature:
                payload = {}
            user = (
                User.objects.filter(pk=payload["u"]).first()
                if payload.get("p") == request.path
                else None
            )
            if user is None:
                return HttpResponseForbidden(_("This download link has expired."))
            request.user = user
            return view(request, *args, **kwargs)
        return telegram_user_required(view)(request, *args, **kwargs)

    return wrapper


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, get_valid_filename(filename) or "export"
    )
    return response


@require_GET
@download_view
def deck_export(request, deck_id):
    deck = get_deck_for_user(request.user, deck_id)
    chosen = request.GET.get("format")
    if chosen is None:
        links = {name: signed_link(request, request.user, f"format={name}") for name in FORMATS}
        context = {"deck": deck, "links": links}
        return render(request, f"{TEMPLATE}#export" if request.htmx else TEMPLATE, context)
    if chosen not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    content_type, extension, export = FORMATS[chosen]
    return attachment(export(deck), content_type, f"{deck.name}.{extension}")


@require_GET
@download_view
def everything_export(request):
    if "download" not in request.GET:
        context = {"links": {"zip": signed_link(request, request.user, "download=zip")}}
        return render(request, f"{TEMPLATE}#export" if request.htmx else TEMPLATE, context)
    content = exporting.user_archive(request.user)
    return attachment(content, "application/zip", "phraseweaver-export.zip")
