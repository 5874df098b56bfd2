"""A deck's phrases (add, edit, delete), the directions each is practised in, and suspending
or resetting one card (one direction) of a phrase."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.forms import PhraseForm, PhraseMediaForm
from cards.load import due_counts_forget
from cards.media.speech import request_for_phrases
from cards.models import (
    Card,
    LastDirection,
    Phrase,
    get_deck_for_user,
    get_phrase_for_user,
)
from cards.queries import get_card_for_user
from cards.search import same_front
from cards.views.helpers import deck_today, phrase_page, render_deck
from phraseweaver.htmx import is_fragment, page_or_part, posted

EDIT_PAGE = "cards/phrase_edit.html"


@require_POST
@telegram_user_required
def phrase_add(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    form = PhraseForm(request.POST, instance=Phrase(deck=deck), auto_id="add-%s")
    duplicate = None
    # A front the deck already has is added only once the learner says so ("Add anyway").
    if form.is_valid() and request.POST.get("duplicate") != "add":
        duplicate = same_front(deck.phrases.all(), form.cleaned_data["front"]).first()
    if not form.is_valid() or duplicate is not None:
        if request.htmx:
            context = {"deck": deck, "add_form": form, "duplicate": duplicate}
            return render(request, "cards/deck.html#card-add", context)
        return render_deck(request, deck.pk, add_form=form, duplicate=duplicate)
    form.instance.add_with_cards()
    request_for_phrases([form.instance])
    if not request.htmx:
        return redirect(deck)
    # The form comes back empty with the focus in its front field, ready for the next phrase;
    # the list (showing the new phrase on top), the search box and the counts follow out of
    # band.
    context = {
        "deck": deck_today(request, deck.pk),
        "add_form": PhraseForm(auto_id="add-%s", autofocus=True),
        "added": form.instance,
        "oob": True,
        **phrase_page(deck, {}),
    }
    return render(request, "cards/deck.html#card-added", context)


def _row(request: LearnerRequest, phrase: Phrase) -> HttpResponse:
    phrase = Phrase.objects.prefetch_related("cards").select_related("deck").get(pk=phrase.pk)
    return render(request, "cards/phrase.html#phrase-row", {"phrase": phrase})


@require_GET
@telegram_user_required
def phrase_row(request: LearnerRequest, phrase_id: int) -> HttpResponse:
    phrase = get_phrase_for_user(request.user, phrase_id)
    if not is_fragment(request):
        return redirect(phrase.deck)
    return _row(request, phrase)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def phrase_edit(request: LearnerRequest, phrase_id: int) -> HttpResponse:
    """The phrase's text (every card of it reads it) and its directions."""
    phrase = get_phrase_for_user(request.user, phrase_id)
    files = request.FILES if request.method == "POST" else None
    form = PhraseMediaForm(posted(request), files, instance=phrase, auto_id=f"phrase{phrase.pk}-%s")
    if request.method == "POST" and form.is_valid():
        form.save()
        if not request.htmx:
            return redirect(phrase.deck)
        return _row(request, phrase)
    return _edit_screen(request, phrase, form)


def _edit_screen(
    request: LearnerRequest, phrase: Phrase, form: PhraseMediaForm, *, error: str = ""
) -> HttpResponse:
    if is_fragment(request):
        template = f"{EDIT_PAGE}#phrase-edit"
    else:
        template = page_or_part(request, EDIT_PAGE, "screen")
    cards = list(phrase.cards.all())
    have = {card.direction for card in cards}
    missing = [
        (value, label) for value, label in phrase.deck.direction_choices if value not in have
    ]
    context = {"phrase": phrase, "form": form, "cards": cards, "missing": missing, "error": error}
    return render(request, template, context)


@require_POST
@telegram_user_required
def phrase_direction_add(request: LearnerRequest, phrase_id: int) -> HttpResponse:
    """A card for one more direction of the phrase, new (it starts with no history)."""
    phrase = get_phrase_for_user(request.user, phrase_id)
    direction = request.POST.get("direction", "")
    offered = {value for value, _label in phrase.deck.direction_choices}
    error = ""
    if direction not in offered:
        error = _("This deck does not offer that direction.")
    elif not phrase.cards.filter(direction=direction).exists():
        phrase.add_direction(direction)
    return _directions(request, phrase, error=error)


@require_POST
@telegram_user_required
def card_delete(request: LearnerRequest, card_id: int) -> HttpResponse:
    """Drop one direction of a phrase: its card and the card's history go; the phrase's last
    card stays."""
    card = get_card_for_user(request.user, card_id)
    error = ""
    try:
        card.phrase.drop_direction(card.direction)
        due_counts_forget(request.user)
    except LastDirection:
        error = _("A phrase needs at least one direction: delete the phrase instead.")
    return _directions(request, card.phrase, error=error)


def _directions(request: LearnerRequest, phrase: Phrase, *, error: str) -> HttpResponse:
    if not request.htmx:
        return redirect(phrase)
    return _edit_screen(request, phrase, PhraseMediaForm(instance=phrase), error=error)


@require_POST
@telegram_user_required
def card_suspend(request: LearnerRequest, card_id: int) -> HttpResponse:
    """Suspends one card of a phrase (one direction), or brings it back into study."""
    card = get_card_for_user(request.user, card_id)
    card.suspended = not card.suspended
    card.save(update_fields=["suspended", "updated"])
    due_counts_forget(request.user)
    return _card_changed(request, card)


def _card_changed(request: LearnerRequest, card: Card) -> HttpResponse:
    """The phrase's row again, and the deck's counts."""
    if not request.htmx:
        return redirect(card.deck)
    phrase = Phrase.objects.prefetch_related("cards").select_related("deck").get(pk=card.phrase_id)
    deck = deck_today(request, card.deck_id)
    context = {"phrase": phrase, "deck": deck, "oob": True}
    return render(request, "cards/phrase.html#phrase-changed", context)


@require_POST
@telegram_user_required
def card_reset(request: LearnerRequest, card_id: int) -> HttpResponse:
    """Starts one card of a phrase again as new (a leech, say); its history stays."""
    card = get_card_for_user(request.user, card_id)
    card.reset()
    due_counts_forget(request.user)
    return _card_changed(request, card)


@require_POST
@telegram_user_required
def phrase_delete(request: LearnerRequest, phrase_id: int) -> HttpResponse:
    """Deletes the phrase with every card of it and their history."""
    phrase = get_phrase_for_user(request.user, phrase_id)
    phrase.delete()
    due_counts_forget(request.user)
    if not request.htmx:
        return redirect(phrase.deck)
    # The row disappears (an empty swap); the counts follow, and the empty list's message when
    # this was the deck's last phrase.
    deck = deck_today(request, phrase.deck_id)
    context = {"deck": deck, "oob": True, "deleted": True}
    if not deck.phrase_count:
        context.update(phrase_page(deck, {}))
    return render(request, "cards/phrase.html#phrase-changed", context)
