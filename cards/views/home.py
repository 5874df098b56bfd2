from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import telegram_user_required
from cards.models import decks_with_counts


@require_GET
@telegram_user_required
def home(request):
    decks = decks_with_counts(request.user, timezone.now())
    template = "cards/home.html#home" if request.htmx else "cards/home.html"
    return render(request, template, {"decks": decks})
