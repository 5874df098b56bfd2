import secrets

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from accounts.models import User
from cards.importing import ImportOptions, Source, deck_import, preview_rows
from cards.importing.formats import CARD_FIELDS
from cards.importing.forms import ImportForm
from cards.importing.service import ImportReport, map_row, model_field
from cards.models import Card, Deck, get_deck_for_user
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/import.html"
REPORT_TTL = 600
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
    """GET: the import screen (with the report after a non-htmx import). POST: import."""
    deck = get_deck_for_user(request.user, deck_id)
    if request.method == "POST":
        return _run(request, deck)
    report = cache.get(_report_key(request.user, deck, request.GET.get("report", "")))
    context = {"deck": deck, "form": ImportForm(), "report": report, **_pace(deck, report)}
    return render(request, page_or_part(request, TEMPLATE, "import"), context)


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
            columns_left_out=_columns_left_out(source, columns),
        )
        will_skip = _will_skip(deck, source, options)
        context.update(will_skip=will_skip, skip_count=sum(group["count"] for group in will_skip))
    return render(request, page_or_part(request, TEMPLATE, "preview"), context)


def _run(request: LearnerRequest, deck: Deck) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    report = None
    if (source := form.source()) is not None:
        report = deck_import(deck=deck, source=source, options=form.options(source))
    if report is not None and not request.htmx:
        token = secrets.token_urlsafe(12)
        cache.set(_report_key(request.user, deck, token), report, REPORT_TTL)
        return redirect(f"{reverse('deck_import', args=[deck.pk])}?report={token}")
    context = {"deck": deck, "form": form, "report": report, **_pace(deck, report)}
    return render(request, page_or_part(request, TEMPLATE, "import"), context)


def _pace(deck: Deck, report: ImportReport | None) -> dict[str, int | None]:
    """How many days the deck's new-card limit takes to show the cards just imported."""
    return {"days_to_see": deck.days_to_see(report.added) if report is not None else None}


def _report_key(user: User, deck: Deck, token: str) -> str:
    return f"import-report:{user.pk}:{deck.pk}:{token}"


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
    # Subdecks made decks are other decks, whose cards the import compares the rows with.
    check_deck = not options.update_duplicates and not options.subdecks_as_decks
    in_deck = set(deck.cards.values_list("front", flat=True)) if check_deck else set()
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
            "label": capfirst(model_field(Card, name).verbose_name),
            "selected": options.mapping.get(name),
            "columns": columns,
        }
        for name in CARD_FIELDS
    ]
