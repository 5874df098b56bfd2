"""The review flow: a card's front, its answer with four grade buttons, undo, the summary.

Every screen after the first arrives as an htmx swap into #app; the answer replaces only the
card. The session (its start and deck) rides in the query string: see cards.review_session.
"""

from contextlib import suppress
from datetime import timedelta

from django.forms import Form
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import LearnerRequest, telegram_user_required
from cards.answer_check import compare
from cards.models import (
    Card,
    Deck,
    StaleReview,
    get_deck_for_user,
)
from cards.queries import get_card_for_user, get_card_to_grade
from cards.review_forms import (
    GradeForm,
    ScopeForm,
    StudyMoreForm,
    TypedAnswerForm,
    UndoForm,
    first_error,
)
from cards.review_session import ReviewSession, grade_buttons
from phraseweaver.htmx import navigate, page_or_part

PAGE = "cards/review.html"
MINUTE = timedelta(minutes=1)


def invalid(*forms: Form) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(first_error(*forms), content_type="text/plain; charset=utf-8")


def session_for(
    request: LearnerRequest,
    scope: ScopeForm,
    *,
    deck: Deck | None = None,
    card: Card | None = None,
    opening: bool = False,
) -> ReviewSession:
    """The session named by the query string; another learner's deck is a 404."""
    now = timezone.now()
    deck_id = scope.cleaned_data["deck"]
    if deck is None and deck_id is not None:
        if card is not None and card.deck_id == deck_id:
            deck = card.deck
        else:
            deck = get_deck_for_user(request.user, deck_id)
    since = scope.since_datetime(now) or (now if opening else None)
    ahead = scope.cleaned_data["ahead"]
    return ReviewSession(request.user, since=since, deck=deck, now=now, ahead=ahead)


def render_screen(
    request: LearnerRequest,
    session: ReviewSession,
    *,
    card: Card | None = None,
    show_answer: bool = False,
    typed: TypedAnswerForm | None = None,
    leech: Card | None = None,
) -> HttpResponse:
    """The review screen: `card` (or the next one in the queue), or the session's summary;
    `typed`, the answer typed on it; `leech`, the card the grade just made a leech."""
    next_card, left = session.next_card()
    card = card or next_card
    context: dict[str, object] = {
        "session": session,
        "card": card,
        "left": left,
        "show_answer": show_answer,
        "leech": leech,
        "typed_form": None,
    }
    if card is None:
        upcoming = session.next_due()
        context["next_due"], context["limit_reached"] = upcoming.at, upcoming.held
        # timeuntil says "0 minutes" under a minute: the summary says "less than a minute".
        context["next_soon"] = upcoming.at is not None and upcoming.at - session.now < MINUTE
        # "Study more", once the limits are reached or nothing is due.
        context["more_new"] = session.held_new()
        context["more_ahead"] = upcoming.later
    elif show_answer:
        context.update(answer_context(request, session, card, typed))
    elif card.is_typed:
        context["typed_form"] = typed or TypedAnswerForm(lang=card.deck.front_lang)
    return render(request, page_or_part(request, PAGE, "screen"), context)


def answer_context(
    request: LearnerRequest, session: ReviewSession, card: Card, typed: TypedAnswerForm | None
) -> dict[str, object]:
    """The answer's grades; for a typed card, its comparison, and the grade it suggests
    pre-selected."""
    grades = grade_buttons(card, learner=request.user, now=session.now)
    if typed is None:
        # Every name the template asks for: one it lacks costs an exception raised and caught
        # inside the template engine (rendering the answer took 0.91 ms with these missing,
        # 0.80 ms without).
        return {"grades": grades, "comparison": None, "suggested": None}
    comparison = compare(typed.answer, card.phrase.front)
    suggested = next(g for g in grades if g["rating"] == comparison.rating)
    suggested["suggested"] = True
    return {"grades": grades, "comparison": comparison, "suggested": suggested}


@require_GET
@telegram_user_required
def review(request: LearnerRequest, deck_id: int | None = None) -> HttpResponse:
    """The review page: all decks, or one deck. Opening it starts a session."""
    scope = ScopeForm(request.GET)
    if not scope.is_valid():
        return invalid(scope)
    deck = get_deck_for_user(request.user, deck_id) if deck_id is not None else None
    session = session_for(request, scope, deck=deck, opening=True)
    return render_screen(request, session)


@require_GET
@telegram_user_required
def answer(request: LearnerRequest, card_id: int) -> HttpResponse:
    """The answer of a card; of a typed one, the comparison with what the learner typed."""
    card = get_card_for_user(request.user, card_id)
    scope = ScopeForm(request.GET)
    if not scope.is_valid():
        return invalid(scope)
    session = session_for(request, scope, card=card)
    typed = TypedAnswerForm(request.GET, lang=card.deck.front_lang) if card.is_typed else None
    # Too long (the input's maxlength stops a keyboard, not every client): the question
    # again, with what was typed and why.
    show_answer = typed is None or typed.is_valid()
    # "Show answer" (or "Check") swaps just the card; anything else (a reload through the
    # shell, a link opened without JavaScript) gets the whole screen.
    if not (request.htmx and request.htmx.target == "review-card"):
        return render_screen(request, session, card=card, show_answer=show_answer, typed=typed)
    context: dict[str, object] = {"session": session, "card": card}
    if not show_answer:
        return render(request, f"{PAGE}#question", {**context, "typed_form": typed})
    context.update(answer_context(request, session, card, typed))
    return render(request, f"{PAGE}#answer", context)


@require_POST
@telegram_user_required
def grade(request: LearnerRequest, card_id: int) -> HttpResponse:
    """Grade a card, then show the next one. A stale grade shows the next card unchanged."""
    card = get_card_to_grade(request.user, card_id)
    form, scope = GradeForm(request.POST), ScopeForm(request.GET)
    if not (form.is_valid() and scope.is_valid()):
        return invalid(form, scope)
    session = session_for(request, scope, card=card)
    # The grade is written before the next screen is read, and kept if reading it fails: the
    # learner who then taps again sends the same version, a stale grade, which changes
    # nothing and shows the current state, the next card (a double tap, a retried request,
    # another device alike). No transaction: on PostgreSQL the grade is one statement.
    leech = None
    with suppress(StaleReview):
        log = card.review(
            form.cleaned_data["rating"],
            learner=request.user,
            now=session.now,
            duration_ms=form.cleaned_data["duration_ms"],
            version=form.cleaned_data["version"],
        )
        leech = card if log.made_leech else None
    if not request.htmx:
        return redirect(session.url)
    return render_screen(request, session, leech=leech)


@require_POST
@telegram_user_required
def undo(request: LearnerRequest) -> HttpResponse:
    """Undo the session's latest grade and show that card's front again."""
    form, scope = UndoForm(request.POST), ScopeForm(request.GET)
    if not (form.is_valid() and scope.is_valid()):
        return invalid(form, scope)
    session = session_for(request, scope)
    card = session.undo(form.cleaned_data["review"])
    if not request.htmx:
        return redirect(session.url)
    return render_screen(request, session, card=card)


@require_POST
@telegram_user_required
def study_more(request: LearnerRequest, deck_id: int) -> HttpResponse:
    """ "Study more": N more new cards in this deck today, then on with the session that the
    query string names (from the deck screen: a new one in this deck)."""
    deck = get_deck_for_user(request.user, deck_id)
    form, scope = StudyMoreForm(request.POST), ScopeForm(request.GET)
    if not (form.is_valid() and scope.is_valid()):
        return invalid(form, scope)
    same = scope.cleaned_data["deck"] == deck.pk
    session = session_for(request, scope, deck=deck if same else None, opening=True)
    deck.study_more_new(form.cleaned_data["new"], session.day.today)
    return navigate(request, session.url)
