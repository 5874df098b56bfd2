"""Deck share links: the owner's share screen, and the shared deck's preview for whoever opens
the link."""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseLocation

from accounts.decorators import telegram_user_required
from cards import sharing
from cards.models import DeckShare, get_deck_for_user

PREVIEW_CARDS = 5


def share_link(request, token: str) -> str:
    """The link that opens the Mini App on the shared deck, wherever it is sent."""
    start = urlencode({"startapp": f"{sharing.START_PARAM_PREFIX}{token}"})
    bot = settings.TELEGRAM_BOT_USERNAME
    if bot and settings.TELEGRAM_APP_NAME:
        return f"https://t.me/{bot}/{settings.TELEGRAM_APP_NAME}?{start}"
    if bot:
        # Without an app short name: the bot's main Mini App, which takes startapp too.
        return f"https://t.me/{bot}?{start}"
    return request.build_absolute_uri(reverse("shared_deck", args=[token]))


def render_share(request, deck, share, *, part="screen"):
    context = {"deck": deck, "share": share}
    if share is not None:
        link = share_link(request, share.token)
        text = gettext("Learn “%(name)s” with me in PhraseWeaver") % {"name": deck.name}
        context["link"] = link
        context["share_sheet_url"] = "https://t.me/share/url?" + urlencode(
            {"url": link, "text": text}
        )
    template = f"cards/share.html#{part}" if request.htmx else "cards/share.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def share(request, deck_id):
    """GET: the deck's share screen. POST: create the share link (or keep the existing one)."""
    deck = get_deck_for_user(request.user, deck_id)
    if request.method == "GET":
        return render_share(request, deck, DeckShare.objects.filter(deck=deck).first())
    shared = sharing.deck_share(deck=deck)
    if not request.htmx:
        return redirect("deck_share", deck_id=deck.pk)
    return render_share(request, deck, shared, part="share")


@require_POST
@telegram_user_required
def share_revoke(request, deck_id):
    deck = get_deck_for_user(request.user, deck_id)
    sharing.deck_share_revoke(deck=deck)
    if not request.htmx:
        return redirect("deck_share", deck_id=deck.pk)
    return render_share(request, deck, None, part="share")


def render_missing(request):
    template = "cards/shared_missing.html#missing" if request.htmx else "cards/shared_missing.html"
    return render(request, template, status=404)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def shared_deck(request, token):
    """GET: a preview of a shared deck. POST: copy its cards into a new deck of the learner."""
    shares = DeckShare.objects.select_related("deck__owner")
    found = shares.annotate(card_count=Count("deck__cards")).filter(token=token).first()
    if found is None:
        return render_missing(request)
    context = {"token": token, "deck": found.deck, "card_count": found.card_count}
    if request.method == "POST":
        try:
            context["added"] = sharing.deck_copy_shared(token=token, user=request.user)
        except DeckShare.DoesNotExist:  # revoked while the preview was open
            return render_missing(request)
        if not request.htmx:
            return redirect(f"/decks/{context['added'].pk}/")
    else:
        context["is_own"] = found.deck.owner_id == request.user.pk
        context["cards"] = found.deck.cards.order_by("id")[:PREVIEW_CARDS]
        context["more"] = max(found.card_count - PREVIEW_CARDS, 0)
    template = "cards/shared.html#shared" if request.htmx else "cards/shared.html"
    return render(request, template, context)


def shared_deck_launch(request):
    """The response that opens a shared deck, for home's launch request (see home.py).

    None when the start parameter names no share, or the deck is the learner's own.
    """
    token = sharing.token_from_start_param(request.telegram.start_param)
    if token is None:
        return None
    if DeckShare.objects.filter(token=token, deck__owner=request.user).exists():
        return None
    url = reverse("shared_deck", args=[token])
    return HttpResponseLocation(url, target="#app") if request.htmx else redirect(url)
