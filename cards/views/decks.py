from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseLocation

from accounts.decorators import telegram_user_required
from cards.forms import CardForm, DeckForm, language_name
from cards.glance import add_allowance
from cards.models import DailyProgress, Deck, decks_with_counts, get_deck_for_user

CARDS_PER_PAGE = 50


def navigate(request, url: str):
    """After a successful POST: htmx loads `url` into #app and pushes it; a plain POST redirects."""
    if request.htmx:
        return HttpResponseLocation(url, target="#app")
    return redirect(url)


def posted(request):
    """The form data of a POST; None (an unbound form) for a GET."""
    return request.POST if request.method == "POST" else None


def is_fragment(request) -> bool:
    """An htmx request for part of a screen, not for the whole #app (a navigation, the shell's
    first load, a history restore)."""
    htmx = request.htmx
    return bool(htmx) and htmx.target != "app" and not htmx.history_restore_request


def deck_with_counts(user, deck_id) -> Deck:
    """The user's deck (404 for anyone else's) with its counts and today's allowance applied."""
    now = timezone.now()
    deck = get_object_or_404(decks_with_counts(user, now), pk=deck_id)
    return add_allowance([deck], DailyProgress(user, now))[0]


def card_page(deck: Deck, params) -> dict:
    """One page of the deck's cards, newest first, filtered by the `q` search parameter."""
    q = params.get("q", "").strip()
    cards = deck.cards.order_by("-id")
    if q:
        cards = cards.filter(
            Q(front__icontains=q)
            | Q(back__icontains=q)
            | Q(example__icontains=q)
            | Q(tags__icontains=q)
        )
    return {"q": q, "page": Paginator(cards, CARDS_PER_PAGE).get_page(params.get("page"))}


def deck_page(request, deck_id, *, add_form=None):
    """The deck screen; just its card list when the search or the pagination asks for it."""
    deck = deck_with_counts(request.user, deck_id)
    context = {
        "deck": deck,
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


@require_GET
@telegram_user_required
def deck_detail(request, deck_id):
    return deck_page(request, deck_id)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def deck_new(request):
    form = DeckForm(posted(request), instance=Deck(owner=request.user))
    if request.method == "POST" and form.is_valid():
        deck = form.save()
        return navigate(request, f"/decks/{deck.pk}/")
    return _deck_form(request, form)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def deck_edit(request, deck_id):
    deck = get_deck_for_user(request.user, deck_id)
    form = DeckForm(posted(request), instance=deck)
    if request.method == "POST" and form.is_valid():
        form.save()
        return navigate(request, f"/decks/{deck.pk}/")
    return _deck_form(request, form)


def _deck_form(request, form):
    deck = form.instance
    action = f"/decks/{deck.pk}/edit/" if deck.pk else "/decks/new/"
    template = "cards/deck_form.html#deck-form" if request.htmx else "cards/deck_form.html"
    return render(request, template, {"form": form, "deck": deck, "action": action})


@require_POST
@telegram_user_required
def deck_delete(request, deck_id):
    get_deck_for_user(request.user, deck_id).delete()
    return navigate(request, "/")
