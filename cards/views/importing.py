from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.importing import ImportOptions, Source, preview_rows
from cards.importing.formats import CARD_FIELDS
from cards.importing.forms import NOTE_FIELDS, ImportForm, notetype_field
from cards.importing.jobs import fail_abandoned_jobs, start_import
from cards.importing.service import map_row, model_field
from cards.models import Deck, ImportJob, Phrase, get_deck_for_user
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/import.html"
# The column pickers list this many columns (and the mapped ones): five pickers of 64,000
# options made 24 MB of HTML, and no note has that many fields.
OFFERED_COLUMNS = 100
PREVIEW_ROWS = 20
SKIPPED_LINES_SHOWN = 5
FORMAT_NAMES = {
    "csv": gettext_lazy("Separated text"),
    "anki-text": gettext_lazy("Anki text export"),
    "quizlet": gettext_lazy("Quizlet export"),
    "phraseweaver": gettext_lazy("PhraseWeaver export"),
    "apkg": gettext_lazy("Anki package"),
}


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
        columns = _offered_columns(source, options)
        context.update(
            source=source,
            format_name=FORMAT_NAMES.get(source.format, source.format),
            options=options,
            rows=preview_rows(source, options, count=PREVIEW_ROWS),
            pickers=_column_pickers(source, options, columns),
            notetype_pickers=_notetype_pickers(source, options),
            columns_left_out=_columns_left_out(source, columns),
        )
        will_skip = _will_skip(deck, source, options)
        context.update(will_skip=will_skip, skip_count=sum(group["count"] for group in will_skip))
    return render(request, page_or_part(request, TEMPLATE, "preview"), context)


def _run(request: LearnerRequest, deck: Deck) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        context = {"deck": deck, "form": form}
        return render(request, page_or_part(request, TEMPLATE, "import"), context)
    start_import(deck=deck, form=form)
    # The import screen shows the job: a plain POST gets there by a redirect, htmx follows it.
    return redirect("deck_import", deck.pk)


def _offered_columns(source: Source, options: ImportOptions) -> list[int]:
    """The first OFFERED_COLUMNS columns, and any column the mapping already picks."""
    count = source.column_count
    mapped = {index for index in options.mapping.values() if index is not None and index < count}
    return sorted({*range(min(count, OFFERED_COLUMNS)), *mapped})


def _columns_left_out(source: Source, offered: list[int]) -> str:
    if len(offered) == source.column_count:
        return ""
    message = _("Only the first %(offered)d of %(count)d columns are offered.")
    return message % {"offered": OFFERED_COLUMNS, "count": source.column_count}


def _will_skip(deck: Deck, source: Source, options: ImportOptions) -> list[dict]:
    """The rows the import will skip, by reason, most first: what the file could not read, the
    rows map_row refuses, a front twice in the file, a front the deck has (unless updated)."""
    by_reason: dict[str, list[int]] = {}
    for line, reason in source.skipped:
        by_reason.setdefault(reason, []).append(line)
    # Subdecks made decks are other decks, whose phrases the import compares the rows with.
    check_deck = not options.update_duplicates and not options.subdecks_as_decks
    in_deck = set(deck.phrases.values_list("front", flat=True)) if check_deck else set()
    seen: set[tuple[str, str]] = set()
    for row in source.rows:
        values = map_row(row, options)
        if isinstance(values, str):
            by_reason.setdefault(values, []).append(row.line)
            continue
        key = (row.subdeck if options.subdecks_as_decks else "", values["front"])
        if key in seen:
            by_reason.setdefault(_("the same front as an earlier line"), []).append(row.line)
        elif values["front"] in in_deck:
            by_reason.setdefault(_("already in the deck"), []).append(row.line)
        seen.add(key)
    groups = sorted(by_reason.items(), key=lambda item: -len(item[1]))
    return [
        {
            "reason": capfirst(reason),
            "count": len(lines),
            "lines": ", ".join(str(line) for line in sorted(lines)[:SKIPPED_LINES_SHOWN])
            + ("…" if len(lines) > SKIPPED_LINES_SHOWN else ""),
        }
        for reason, lines in groups
    ]


def _notetype_pickers(source: Source, options: ImportOptions) -> list[dict]:
    """For each note type of an Anki package, a <select> per card field listing its fields
    with a sample value from its first note."""
    first: dict[str, list[str]] = {}
    for row in source.rows:
        if row.notetype and row.notetype not in first:
            first[row.notetype] = row.note_fields
    found = []
    for key, notetype in source.notetypes.items():
        sample = first.get(key, [])
        columns = []
        for index, name in enumerate(notetype.columns):
            value = sample[index][:30] if index < len(sample) else ""
            columns.append({"index": index, "label": f"{name}: {value}" if value else name})
        mapping = options.notetype_mappings.get(key, notetype.mapping)
        pickers = [
            {
                "field": notetype_field(key, name),
                "label": capfirst(model_field(Phrase, name).verbose_name),
                "selected": mapping.get(name),
                "columns": columns,
            }
            for name in NOTE_FIELDS
        ]
        found.append({"name": notetype.name, "pickers": pickers})
    return found


def _column_pickers(source: Source, options: ImportOptions, offered: list[int]) -> list[dict]:
    """One <select> per card field, listing the offered columns with a sample value."""
    first = source.rows[0].fields if source.rows else []
    columns = []
    for index in offered:
        name = source.columns[index] if index < len(source.columns) else ""
        sample = first[index][:30] if index < len(first) else ""
        label = name or _("Column %(number)d") % {"number": index + 1}
        columns.append({"index": index, "label": f"{label}: {sample}" if sample else label})
    return [
        {
            "field": name,
            "label": capfirst(model_field(Phrase, name).verbose_name),
            "selected": options.mapping.get(name),
            "columns": columns,
        }
        for name in CARD_FIELDS
    ]
