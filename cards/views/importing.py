import secrets

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from accounts.models import User
from cards.importing import ImportOptions, Source, deck_import, preview_rows
from cards.importing.formats import CARD_FIELDS
from cards.importing.forms import ImportForm
from cards.importing.service import ImportReport, model_field
from cards.models import Card, Deck, get_deck_for_user
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/import.html"
REPORT_TTL = 600


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
        context.update(
            source=source,
            options=options,
            rows=preview_rows(source, options),
            pickers=_column_pickers(source, options),
        )
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
