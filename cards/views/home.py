import re

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import replace_url

from accounts.decorators import telegram_user_required
from cards.glance import Glance, add_allowance
from cards.models import DailyProgress, Deck, decks_with_counts
from cards.views.decks import deck_page

# app.js sends this header on the Mini App's first load only: the start parameter stays in
# initData for the whole session, and the home screen must stay reachable.
LAUNCH_HEADER = "X-Mini-App-Launch"
DECK_START_PARAM = re.compile(r"deck_([0-9]{1,18})")


@require_GET
@telegram_user_required
def home(request):
    launch_deck = _launch_deck(request)
    if launch_deck is not None:
        return replace_url(deck_page(request, launch_deck), f"/decks/{launch_deck}/")
    now = timezone.now()
    progress = DailyProgress(request.user, now)
    decks = add_allowance(decks_with_counts(request.user, now), progress)
    context = {"decks": decks, "glance": Glance.of(request.user, decks, progress)}
    return render(request, "cards/home.html#home" if request.htmx else "cards/home.html", context)


def _launch_deck(request) -> int | None:
    """The deck named by a `deck_<id>` start parameter on launch, if it is the user's."""
    match = DECK_START_PARAM.fullmatch(request.telegram.start_param)
    if not match or not request.headers.get(LAUNCH_HEADER):
        return None
    deck_id = int(match[1])
    return deck_id if Deck.objects.for_user(request.user).filter(pk=deck_id).exists() else None
