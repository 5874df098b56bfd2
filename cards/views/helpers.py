"""What several of the cards views share: the deck screen and its card list."""

from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from accounts.decorators import LearnerRequest
from cards.day import DeckToday, LearnerDay
from cards.forms import CardForm, language_name
from cards.models import Card, Deck
from cards.search import matching

CARDS_PER_PAGE = 50


def deck_today(request: LearnerRequest, deck_id: int) -> DeckToday:
    """The learner's deck (404 for anyone else's) with its counts as today's limits allow."""
    return LearnerDay(request.user).deck_today(deck_id)


def card_page(deck: Deck, params: QueryDict | dict) -> dict[str, object]:
    """One page of the deck's cards, newest first, filtered by the `q` and `tag` parameters."""
    # PostgreSQL text cannot hold NUL (SQLite can): without it, both search the same.
    q = params.get("q", "").replace("\x00", "").strip()
    tag = params.get("tag", "").replace("\x00", "").strip()
    cards = matching(deck.cards.order_by("-id"), q, tag)
    page = Paginator(cards, CARDS_PER_PAGE).get_page(params.get("page"))
    return {"q": q, "tag": tag, "page": page}


def render_deck(
    request: LearnerRequest,
    deck_id: int,
    *,
    add_form: CardForm | None = None,
    duplicate: Card | None = None,
) -> HttpResponse:
    """The deck screen; just its card list when the search or the pagination asks for it.
    `duplicate`: the card whose front the learner is adding again."""
    deck = deck_today(request, deck_id)
    context = {
        "deck": deck,
        "duplicate": duplicate,
        "front_lang_name": language_name(deck.front_lang),
        "back_lang_name": language_name(deck.back_lang),
        "add_form": add_form or CardForm(auto_id="add-%s"),
        **card_page(deck, request.GET),
    }
    if not request.htmx:
        template = "cards/deck.html"
    elif request.htmx.target == "card-list":
        template = "cards/deck.html#card-list"
    else:
        template = "cards/deck.html#deck"
    return render(request, template, context)
