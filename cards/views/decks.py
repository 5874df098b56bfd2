from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.forms import DeckForm
from cards.load import due_counts_forget
from cards.models import Deck, get_deck_for_user
from cards.views.helpers import render_deck
from phraseweaver.htmx import navigate, page_or_part, posted


@require_GET
@telegram_user_required
def deck_detail(request: LearnerRequest, deck_id: int) -> HttpResponse:
    return render_deck(request, deck_id)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def deck_new(request: LearnerRequest) -> HttpResponse:
    form = DeckForm(posted(request), instance=Deck(owner=request.user))
    if request.method == "POST" and form.is_valid():
        deck = form.save()
        return navigate(request, deck.get_absolute_url())
    return _deck_form(request, form)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def deck_edit(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    form = DeckForm(posted(request), instance=deck)
    if request.method == "POST" and form.is_valid():
        form.save()
        return navigate(request, deck.get_absolute_url())
    return _deck_form(request, form)


def _deck_form(request: LearnerRequest, form: DeckForm) -> HttpResponse:
    deck = form.instance
    action = reverse("deck_edit", args=[deck.pk]) if deck.pk else reverse("deck_new")
    template = page_or_part(request, "cards/deck_form.html", "deck-form")
    return render(request, template, {"form": form, "deck": deck, "action": action})


@require_POST
@telegram_user_required
def deck_delete(request: LearnerRequest, deck_id: int) -> HttpResponse:
    get_deck_for_user(request.user, deck_id).delete()
    due_counts_forget(request.user)
    return navigate(request, reverse("home"))
