from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseLocation, replace_url

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.day import LearnerDay
from cards.models import Deck, DeckShare, Phrase
from cards.search import matching
from cards.sharing import parse_start_param, shared_phrase_id
from cards.views.helpers import PHRASES_PER_PAGE, render_deck
from phraseweaver.htmx import page_or_part


@require_GET
@telegram_user_required
def home(request: LearnerRequest) -> HttpResponse:
    if (launch := _launch_screen(request)) is not None:
        return launch
    context = _search(request)
    if request.htmx.target == "search-results":
        return render(request, "cards/home.html#search-results", context)
    day = LearnerDay(request.user)
    decks = day.decks_today()
    context |= {"decks": decks, "glance": day.glance(decks)}
    return render(request, page_or_part(request, "cards/home.html", "home"), context)


def _search(request: LearnerRequest) -> dict[str, object]:
    """The newest of the learner's phrases, in every deck, that match the `q` and `tag`
    parameters (none without either)."""
    q, tag = request.GET.get("q", "").strip(), request.GET.get("tag", "").strip()
    if not q and not tag:
        return {}
    phrases = matching(Phrase.objects.for_user(request.user), q, tag)
    phrases = phrases.select_related("deck").order_by("-id")
    return {"q": q, "tag": tag, "found": Paginator(phrases, PHRASES_PER_PAGE).get_page(1)}


def _launch_screen(request: LearnerRequest) -> HttpResponse | None:
    """The screen a deep link's start parameter opens (a deck of the learner's, or a deck
    shared with them), or None for home.

    Only the launch request carries `tgWebAppStartParam` in its query string (the shell
    re-requests the URL Telegram opened), while initData keeps the same start_param for the
    whole session: a later visit to home stays home.
    """
    start = request.telegram.start_param if request.telegram else ""
    if not start or request.GET.get("tgWebAppStartParam") != start:
        return None
    if shared_phrase_id(start) is not None:
        return _go(request, reverse("shared_phrase", args=[start]))
    launch = parse_start_param(start)
    if launch is None:
        return None
    if launch.deck_id is not None:
        if not Deck.objects.for_user(request.user).filter(pk=launch.deck_id).exists():
            return None
        return replace_url(
            render_deck(request, launch.deck_id), reverse("deck", args=[launch.deck_id])
        )
    # A shared deck opens its preview, unless it is the learner's own deck.
    if DeckShare.objects.filter(token=launch.share_token, deck__owner=request.user).exists():
        return None
    return _go(request, reverse("shared_deck", args=[launch.share_token]))


def _go(request: LearnerRequest, url: str) -> HttpResponse:
    return HttpResponseLocation(url, target="#app") if request.htmx else redirect(url)
