import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import (
    LearnerRequest,
    signed_link,
    signed_link_or_telegram_user,
)
from cards import exporting
from cards.export_jobs import ARCHIVE_NAME, current_jobs, fail_abandoned_exports, start_export
from cards.models import ExportJob, get_deck_for_user
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/export.html"
FORMATS = exporting.DECK_FORMATS


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    disposition = content_disposition_header(True, get_valid_filename(filename) or "export")
    # Django returns None only for an inline response without a file name: never here.
    assert disposition is not None
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = disposition
    return response


@require_GET
@signed_link_or_telegram_user
def deck_export(request: LearnerRequest, deck_id: int) -> HttpResponseBase:
    deck = get_deck_for_user(request.user, deck_id)
    chosen = request.GET.get("format")
    if chosen is None:
        # Downloads leave htmx (the WebView or Telegram's downloadFile fetches them) and so
        # lose the initData header: the links are signed instead.
        links = {name: signed_link(request, format=name) for name in FORMATS}
        names = {
            name: exporting.download_name(deck.name, extension)[0]
            for name, (_type, extension, _write) in FORMATS.items()
        }
        context = {"deck": deck, "links": links, "names": names}
        return render(request, page_or_part(request, TEMPLATE, "export"), context)
    if chosen not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    content_type, extension, write = FORMATS[chosen]
    # Written to a temporary file and streamed from it: a large deck is never in memory whole.
    # FileResponse closes the file when the response is sent, and the system deletes it.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    write(deck, out)
    out.seek(0)
    response = FileResponse(out, content_type=content_type)
    response["Content-Disposition"] = exporting.content_disposition(deck.name, extension)
    return response


@require_http_methods(["GET", "POST"])
@signed_link_or_telegram_user  # no link is signed for this page: a token here is refused
def everything_export(request: LearnerRequest) -> HttpResponse:
    """GET: the "Export all my data" screen, with the learner's current export (preparing,
    ready to download, or why it failed). POST: prepare a new one in the background."""
    if request.method == "POST":
        if request.telegram is None:
            raise PermissionDenied("only initData starts an export")
        start_export(request.user)
        # The screen shows the job: a plain POST gets there by a redirect, htmx follows it.
        return redirect("everything_export")
    job = current_jobs(request.user).order_by("-created").first()
    context = _job_context(request, _checked(job) if job is not None else None)
    return render(request, page_or_part(request, TEMPLATE, "export"), context)


@require_GET
@signed_link_or_telegram_user
def everything_export_job(request: LearnerRequest, export_id: int) -> HttpResponse:
    """The export's state (polled while it is prepared), or with its signed link the zip."""
    job = _checked(get_object_or_404(current_jobs(request.user), pk=export_id))
    if "download" in request.GET:
        if job.status != ExportJob.Status.DONE:
            raise Http404
        archive = ExportJob.objects.filter(pk=job.pk).values_list("archive", flat=True).first()
        if archive is None:  # removed since (a new export, the sweep)
            raise Http404
        return attachment(bytes(archive), "application/zip", ARCHIVE_NAME)
    if not request.htmx:
        return redirect("everything_export")
    return render(request, "cards/export.html#job", _job_context(request, job))


def _job_context(request: LearnerRequest, job: ExportJob | None) -> dict[str, object]:
    context: dict[str, object] = {"job": job}
    if job is not None and job.status == ExportJob.Status.DONE:
        # Downloads leave htmx and so lose the initData header: the link is signed instead.
        context["download"] = signed_link(request, job.get_absolute_url(), download="zip")
    return context


def _checked(job: ExportJob) -> ExportJob:
    """The job, failed first if its worker died (its lease ran out)."""
    if job.status == ExportJob.Status.RUNNING and fail_abandoned_exports(
        ExportJob.objects.filter(pk=job.pk)
    ):
        job.refresh_from_db()
    return job
