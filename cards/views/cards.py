from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.forms import CardForm
from cards.models import Card, get_card_for_user, get_deck_for_user
from cards.search import same_front
from cards.views.helpers import card_page, deck_today, render_deck
from phraseweaver.htmx import is_fragment, page_or_part, posted


@require_POST
@telegram_user_required
def card_add(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    form = CardForm(request.POST, instance=Card(deck=deck), auto_id="add-%s")
    duplicate = None
    # A front the deck already has is added only once the learner says so ("Add anyway").
    if form.is_valid() and request.POST.get("duplicate") != "add":
        duplicate = same_front(deck.cards.all(), form.cleaned_data["front"]).first()
    if not form.is_valid() or duplicate is not None:
        if request.htmx:
            context = {"deck": deck, "add_form": form, "duplicate": duplicate}
            return render(request, "cards/deck.html#card-add", context)
        return render_deck(request, deck.pk, add_form=form, duplicate=duplicate)
    form.save()
    if not request.htmx:
        return redirect(deck)
    # The form comes back empty with the focus in its front field, ready for the next card;
    # the list (showing the new card on top), the search box and the counts follow out of band.
    context = {
        "deck": deck_today(request, deck.pk),
        "add_form": CardForm(auto_id="add-%s", autofocus=True),
        "added": form.instance,
        "oob": True,
        **card_page(deck, {}),
    }
    return render(request, "cards/deck.html#card-added", context)


@require_GET
@telegram_user_required
def card_row(request: LearnerRequest, card_id: int) -> HttpResponse:
    card = get_card_for_user(request.user, card_id)
    if not is_fragment(request):
        return redirect(card.deck)
    return render(request, "cards/card.html#card-row", {"card": card})


@require_http_methods(["GET", "POST"])
@telegram_user_required
def card_edit(request: LearnerRequest, card_id: int) -> HttpResponse:
    card = get_card_for_user(request.user, card_id)
    form = CardForm(posted(request), instance=card, auto_id=f"card{card.pk}-%s")
    if request.method == "POST" and form.is_valid():
        form.save()
        if not request.htmx:
            return redirect(card.deck)
        return render(request, "cards/card.html#card-row", {"card": card})
    if is_fragment(request):
        template = "cards/card_edit.html#card-edit"
    else:
        template = page_or_part(request, "cards/card_edit.html", "screen")
    return render(request, template, {"card": card, "form": form})


@require_POST
@telegram_user_required
def card_suspend(request: LearnerRequest, card_id: int) -> HttpResponse:
    """Suspends the card, or brings a suspended card back into study."""
    card = get_card_for_user(request.user, card_id)
    card.suspended = not card.suspended
    card.save(update_fields=["suspended", "updated"])
    if not request.htmx:
        return redirect(card.deck)
    deck = deck_today(request, card.deck_id)
    return render(
        request, "cards/card.html#card-changed", {"card": card, "deck": deck, "oob": True}
    )


@require_POST
@telegram_user_required
def card_delete(request: LearnerRequest, card_id: int) -> HttpResponse:
    card = get_card_for_user(request.user, card_id)
    card.delete()
    if not request.htmx:
        return redirect(card.deck)
    # The row disappears (an empty swap); the counts follow, and the empty list's message when
    # this was the deck's last card.
    deck = deck_today(request, card.deck_id)
    context = {"deck": deck, "oob": True, "deleted": True}
    if not deck.card_count:
        context.update(card_page(deck, {}))
    return render(request, "cards/card.html#card-changed", context)
