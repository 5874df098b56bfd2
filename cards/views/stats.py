from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import telegram_user_required
from cards.models import get_deck_for_user
from cards.stats import learner_stats

TEMPLATE = "cards/stats.html"


@require_GET
@telegram_user_required
def stats(request):
    context = {"stats": learner_stats(request.user), "deck": None}
    return render(request, f"{TEMPLATE}#stats" if request.htmx else TEMPLATE, context)


@require_GET
@telegram_user_required
def deck_stats(request, deck_id):
    deck = get_deck_for_user(request.user, deck_id)
    context = {"stats": learner_stats(request.user, deck=deck), "deck": deck}
    return render(request, f"{TEMPLATE}#stats" if request.htmx else TEMPLATE, context)
