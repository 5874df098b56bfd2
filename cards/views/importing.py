from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.importing import ImportOptions, Source, preview_rows
from cards.importing.formats import CARD_FIELDS
from cards.importing.forms import ImportForm
from cards.importing.jobs import fail_abandoned_jobs, start_import
from cards.importing.service import model_field
from cards.models import Card, Deck, ImportJob, get_deck_for_user
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/import.html"


@require_http_methods(["GET", "POST"])
@telegram_user_required
def import_page_or_run(request: LearnerRequest, deck_id: int) -> HttpResponse:
    """GET: the import screen, with the deck's latest import while it runs or until the
    learner has read its report. POST: start an import in the background."""
    deck = get_deck_for_user(request.user, deck_id)
    if request.method == "POST":
        return _run(request, deck)
    job = _jobs(request, deck).filter(dismissed=False).order_by("-created").first()
    if job is not None:
        job = _checked(job)
    context = {"deck": deck, "form": ImportForm(), "job": job}
    return render(request, page_or_part(request, TEMPLATE, "import"), context)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def import_job(request: LearnerRequest, deck_id: int, job_id: int) -> HttpResponse:
    """GET: the job's progress or outcome (polled while it runs). POST: done with it, back to
    the import form."""
    deck = get_deck_for_user(request.user, deck_id)
    job = _checked(get_object_or_404(_jobs(request, deck), pk=job_id))
    if request.method == "POST":
        if not job.is_active:
            ImportJob.objects.filter(pk=job.pk).update(dismissed=True)
        return redirect("deck_import", deck.pk)
    if not request.htmx:
        return redirect("deck_import", deck.pk)
    return render(request, "cards/import_job.html#job", {"deck": deck, "job": job})


def _jobs(request: LearnerRequest, deck: Deck) -> QuerySet[ImportJob]:
    # Never the stored file or form: the screen shows the job's progress and outcome.
    return ImportJob.objects.filter(owner=request.user, deck=deck).defer("upload", "form_data")


def _checked(job: ImportJob) -> ImportJob:
    """The job, failed first if its worker died (its lease ran out)."""
    if job.status == ImportJob.Status.RUNNING and fail_abandoned_jobs(
        ImportJob.objects.filter(pk=job.pk)
    ):
        job.refresh_from_db()
    return job


@require_POST
@telegram_user_required
def import_preview(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    form = ImportForm(request.POST, request.FILES)
    context = {"deck": deck, "form": form}
    if (source := form.source()) is not None:
        options = form.options(source)
        context.update(
            source=source,
            options=options,
            rows=preview_rows(source, options),
            pickers=_column_pickers(source, options),
        )
    return render(request, page_or_part(request, TEMPLATE, "preview"), context)


def _run(request: LearnerRequest, deck: Deck) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {"deck": deck, "form": form}
        return render(request, page_or_part(request, TEMPLATE, "import"), context)
    start_import(deck=deck, form=form)
    # The import screen shows the job: a plain POST gets there by a redirect, htmx follows it.
    return redirect("deck_import", deck.pk)


def _column_pickers(source: Source, options: ImportOptions) -> list[dict]:
    """One <select> per card field, listing the file's columns with a sample value."""
    first = source.rows[0].fields if source.rows else []
    columns = []
    for index in range(source.column_count):
        name = source.columns[index] if index < len(source.columns) else ""
        sample = first[index][:30] if index < len(first) else ""
        label = name or _("Column %(number)d") % {"number": index + 1}
        columns.append({"index": index, "label": f"{label}: {sample}" if sample else label})
    return [
        {
            "field": name,
            "label": capfirst(model_field(Card, name).verbose_name),
            "selected": options.mapping.get(name),
            "columns": columns,
        }
        for name in CARD_FIELDS
    ]
