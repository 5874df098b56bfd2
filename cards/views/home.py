from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import telegram_user_required
from cards.models import decks_with_counts
from cards.views.sharing import shared_deck_launch


@require_GET
@telegram_user_required
def home(request):
    if (launch := shared_deck_launch(request)) is not None:
        return launch
    decks = decks_with_counts(request.user, timezone.now())
    template = "cards/home.html#home" if request.htmx else "cards/home.html"
    return render(request, template, {"decks": decks})
