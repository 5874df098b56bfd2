from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import LearnerRequest, signed_link, signed_link_or_telegram_user
from cards import exporting
from cards.models import get_deck_for_user
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/export.html"
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv", exporting.deck_csv),
    "apkg": ("application/octet-stream", "apkg", exporting.deck_apkg),
}


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    disposition = content_disposition_header(True, get_valid_filename(filename) or "export")
    # Django returns None only for an inline response without a file name: never here.
    assert disposition is not None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = disposition
    return response


@require_GET
@signed_link_or_telegram_user
def deck_export(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    chosen = request.GET.get("format")
    if chosen is None:
        # Downloads leave htmx (the WebView or Telegram's downloadFile fetches them) and so
        # lose the initData header: the links are signed instead.
        links = {name: signed_link(request, format=name) for name in FORMATS}
        context = {"deck": deck, "links": links}
        return render(request, page_or_part(request, TEMPLATE, "export"), context)
    if chosen not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    content_type, extension, export = FORMATS[chosen]
    return attachment(export(deck), content_type, f"{deck.name}.{extension}")


@require_GET
@signed_link_or_telegram_user
def everything_export(request: LearnerRequest) -> HttpResponse:
    if "download" not in request.GET:
        context = {"links": {"zip": signed_link(request, download="zip")}}
        return render(request, page_or_part(request, TEMPLATE, "export"), context)
    content = exporting.user_archive(request.user)
    return attachment(content, "application/zip", "phraseweaver-export.zip")
