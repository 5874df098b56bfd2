"""What several of the deck's views share: the deck screen and its list of phrases."""

from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render

from accounts.decorators import LearnerRequest
from cards.day import DeckToday, LearnerDay
from cards.forms import PhraseForm, language_name
from cards.models import Deck, Phrase
from cards.search import matching

PHRASES_PER_PAGE = 50


def deck_today(request: LearnerRequest, deck_id: int) -> DeckToday:
    """The learner's deck (404 for anyone else's) with its counts as today's limits allow."""
    return LearnerDay(request.user, totals=True).deck_today(deck_id)


def phrase_page(deck: Deck, params: QueryDict | dict) -> dict[str, object]:
    """One page of the deck's phrases with their cards, newest first, filtered by the `q` and
    `tag` parameters (two queries, and one to count)."""
    # PostgreSQL text cannot hold NUL (SQLite can): without it, both search the same.
    q = params.get("q", "").replace("\x00", "").strip()
    tag = params.get("tag", "").replace("\x00", "").strip()
    phrases = matching(deck.phrases.prefetch_related("cards").order_by("-id"), q, tag)
    page = Paginator(phrases, PHRASES_PER_PAGE).get_page(params.get("page"))
    return {"q": q, "tag": tag, "page": page}


def render_deck(
    request: LearnerRequest,
    deck_id: int,
    *,
    add_form: PhraseForm | None = None,
    duplicate: Phrase | None = None,
) -> HttpResponse:
    """The deck screen; just its list when the search or the pagination asks for it.
    `duplicate`: the phrase whose front the learner is adding again."""
    deck = deck_today(request, deck_id)
    context = {
        "deck": deck,
        "duplicate": duplicate,
        "front_lang_name": language_name(deck.front_lang),
        "back_lang_name": language_name(deck.back_lang),
        "add_form": add_form or PhraseForm(auto_id="add-%s"),
        **phrase_page(deck, request.GET),
    }
    if not request.htmx:
        template = "cards/deck.html"
    elif request.htmx.target == "card-list":
        template = "cards/deck.html#card-list"
    else:
        template = "cards/deck.html#deck"
    return render(request, template, context)
