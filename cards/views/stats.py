from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.models import get_deck_for_user
from cards.stats import learner_stats
from phraseweaver.htmx import page_or_part

TEMPLATE = "cards/stats.html"


@require_GET
@telegram_user_required
def stats(request: LearnerRequest) -> HttpResponse:
    context = {"stats": learner_stats(request.user), "deck": None}
    return render(request, page_or_part(request, TEMPLATE, "stats"), context)


@require_GET
@telegram_user_required
def deck_stats(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    context = {"stats": learner_stats(request.user, deck=deck), "deck": deck}
    return render(request, page_or_part(request, TEMPLATE, "stats"), context)
