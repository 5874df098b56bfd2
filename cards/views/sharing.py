"""Deck share links: the owner's share screen, and the shared deck's preview for whoever opens
the link."""

from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards import sharing
from cards.models import Deck, DeckShare, Phrase, get_deck_for_user
from phraseweaver.htmx import error_page, navigate, page_or_part

PREVIEW_CARDS = 5


def share_link(request: LearnerRequest, token: str) -> str:
    """The link that opens the Mini App on the shared deck, wherever it is sent."""
    link = sharing.mini_app_link(sharing.start_param_for(token))
    return link or request.build_absolute_uri(reverse("shared_deck", args=[token]))


def render_share(
    request: LearnerRequest, deck: Deck, share: DeckShare | None, *, part: str = "screen"
) -> HttpResponse:
    context: dict[str, object] = {"deck": deck, "share": share}
    if share is not None:
        link = share_link(request, share.token)
        text = gettext("Learn “%(name)s” with me in PhraseWeaver") % {"name": deck.name}
        context["link"] = link
        context["share_sheet_url"] = "https://t.me/share/url?" + urlencode(
            {"url": link, "text": text}
        )
    template = page_or_part(request, "cards/share.html", part)
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def share(request: LearnerRequest, deck_id: int) -> HttpResponse:
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
def share_revoke(request: LearnerRequest, deck_id: int) -> HttpResponse:
    deck = get_deck_for_user(request.user, deck_id)
    sharing.deck_share_revoke(deck=deck)
    if not request.htmx:
        return redirect("deck_share", deck_id=deck.pk)
    return render_share(request, deck, None, part="share")


def render_missing(request: LearnerRequest) -> HttpResponse:
    template = page_or_part(request, "cards/shared_missing.html", "missing")
    return error_page(render(request, template, status=404))


@require_http_methods(["GET", "POST"])
@telegram_user_required
def shared_deck(request: LearnerRequest, token: str) -> HttpResponse:
    """GET: a preview of a shared deck. POST: copy its phrases into a new deck of the learner."""
    shares = DeckShare.objects.select_related("deck__owner")
    copies = Deck.objects.for_user(request.user).filter(shared_token=OuterRef("token"))
    found = (
        shares.annotate(
            card_count=Count("deck__phrases"), copy_id=Subquery(copies.values("pk")[:1])
        )
        .filter(token=token)
        .first()
    )
    if found is None:
        return render_missing(request)
    context = {"token": token, "deck": found.deck, "card_count": found.card_count}
    if request.method == "POST":
        try:
            added, created = sharing.deck_copy_shared(token=token, user=request.user)
        except DeckShare.DoesNotExist:  # revoked while the preview was open
            return render_missing(request)
        if not created or not request.htmx:
            return navigate(request, added.get_absolute_url())
        context["added"] = added
    else:
        context["is_own"] = found.deck.owner_id == request.user.pk
        context["copy_id"] = found.copy_id
        context["phrases"] = found.deck.phrases.order_by("id")[:PREVIEW_CARDS]
        context["more"] = max(found.card_count - PREVIEW_CARDS, 0)
    template = page_or_part(request, "cards/shared.html", "shared")
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@telegram_user_required
def shared_phrase(request: LearnerRequest, param: str) -> HttpResponse:
    """GET: a phrase someone sent through the bot's inline mode. POST: copy it into one of the
    learner's decks (the form's `deck`); the same front already there is not added again."""
    phrase_id = sharing.shared_phrase_id(param)
    source = None if phrase_id is None else Phrase.objects.filter(pk=phrase_id).first()
    if source is None:  # a forged link, or the phrase was deleted since
        return render_missing(request)
    decks = Deck.objects.for_user(request.user)
    context: dict[str, object] = {"param": param, "phrase": source, "decks": decks}
    if request.method == "POST":
        deck = decks.filter(pk=request.POST.get("deck", "")).first()
        if deck is None:
            context["error"] = gettext("Choose one of your decks.")
        else:
            context["added"], context["created"] = sharing.phrase_copy(source=source, deck=deck)
    else:
        context["is_own"] = source.owner_id == request.user.pk
    template = page_or_part(request, "cards/shared_phrase.html", "shared-phrase")
    return render(request, template, context)
