import re

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_htmx.http import replace_url

from accounts.decorators import telegram_user_required
from cards.glance import Glance, add_allowance
from cards.models import DailyProgress, Deck, decks_with_counts
from cards.views.decks import deck_page
from cards.views.sharing import shared_deck_launch

# `deck_<id>` opens one of the learner's decks; `deck_<token>` (not all digits) is a share link.
DECK_START_PARAM = re.compile(r"deck_([0-9]{1,18})")


@require_GET
@telegram_user_required
def home(request):
    if (launch := _launch_screen(request)) is not None:
        return launch
    now = timezone.now()
    progress = DailyProgress(request.user, now)
    decks = add_allowance(decks_with_counts(request.user, now), progress)
    context = {"decks": decks, "glance": Glance.of(request.user, decks, progress)}
    return render(request, "cards/home.html#home" if request.htmx else "cards/home.html", context)


def _launch_screen(request):
    """The screen a deep link's start parameter opens, or None for home.

    Only the launch request carries `tgWebAppStartParam` in its query string (the shell
    re-requests the URL Telegram opened), while initData keeps the same start_param for the
    whole session: a later visit to home stays home.
    """
    start = request.telegram.start_param
    if not start or request.GET.get("tgWebAppStartParam") != start:
        return None
    if not DECK_START_PARAM.fullmatch(start):
        return shared_deck_launch(request)
    deck_id = int(start.removeprefix("deck_"))
    if not Deck.objects.for_user(request.user).filter(pk=deck_id).exists():
        return None
    return replace_url(deck_page(request, deck_id), f"/decks/{deck_id}/")
