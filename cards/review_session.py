"""A review session: one sitting of reviews, over all decks or one, and what its screens show.

The session is the learner's reviews since the review page was opened; its start (`since`) and
deck travel in the query string of every review link and form, so the server keeps no state.
Each screen costs the same few queries however many cards are due: one for the decks with
their limits, waiting cards and today's reviews, together with the session's latest review; one
for the next card (none when nothing is left); and on the summary two more: the session's
reviews, and when the next card is due. `ahead` ("study more") reviews the cards due within that
many days ahead of time, in the same flow.
"""

from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cards.day import LearnerDay, Upcoming
from cards.models import Card, Deck, ReviewLog, local_day_start
from cards.scheduling import RATING_LABELS, Rating, format_interval


def grade_buttons(card: Card, *, learner: User, now: datetime) -> list[dict]:
    """The four grades with the interval each would give this card now ("Good 2d")."""
    due = card.preview(learner=learner, now=now)
    return [
        {
            "rating": r,
            "label": RATING_LABELS[r],
            "interval": format_interval(due[r] - now),
            "suggested": False,  # the answer a typed card suggests (cards.views.review)
        }
        for r in Rating.ALL
    ]


def format_duration(ms: int) -> str:
    """A language-neutral clock reading: 0:42, 12:05, 1:02:09."""
    minutes, seconds = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class ReviewSession:
    """This sitting's reviews, in the learner's day (cards.day), and what its screens show.

    Today's deck counts come in one query together with the session's latest review, made on
    first use — after the grade or undo that the screen reports on.
    """

    def __init__(
        self,
        user: User,
        *,
        since: datetime | None = None,
        deck: Deck | None = None,
        now: datetime | None = None,
        ahead: int | None = None,
    ):
        self.user = user
        self.deck = deck
        # "Study more": review the cards due within this many days, ahead of time.
        self.ahead = ahead
        now = now or timezone.now()
        day_start = local_day_start(user, now)
        # Without a start (a link from outside the review page), the session is today's.
        self.since = day_start if since is None else min(since, now)
        self.day = LearnerDay(user, now, since=self.since)
        self.now = self.day.now

    @property
    def params(self) -> dict[str, int]:
        """What keeps a request in this session (its query string, or a GET form's fields)."""
        params = self.plain_params
        if self.ahead is not None:
            params["ahead"] = self.ahead
        return params

    @property
    def plain_params(self) -> dict[str, int]:
        """The session's parameters, back to the day's limits after reviewing ahead."""
        params = {"since": int(self.since.timestamp())}
        if self.deck is not None:
            params["deck"] = self.deck.pk
        return params

    @property
    def query(self) -> str:
        """The query string that keeps a request in this session."""
        return urlencode(self.params)

    @property
    def plain_query(self) -> str:
        """The session's query string, back to the day's limits after reviewing ahead."""
        return urlencode(self.plain_params)

    @property
    def path(self) -> str:
        """The review page of this session's deck, or of all decks."""
        return (
            reverse("review") if self.deck is None else reverse("deck_review", args=[self.deck.pk])
        )

    @property
    def url(self) -> str:
        """The review page of this session."""
        return f"{self.path}?{self.query}"

    def reviews(self) -> QuerySet[ReviewLog]:
        return ReviewLog.objects.filter(self._in_session(), user=self.user)

    @cached_property
    def summary_counts(self) -> dict[str, Any]:
        """What only the summary shows: the session's reviews, time and ratings."""
        return self.reviews().aggregate(
            reviewed=Count("id"),
            time_ms=Sum("duration_ms", default=0),
            **{f"rated_{r}": Count("id", filter=Q(rating=r)) for r in Rating.ALL},
        )

    def _in_session(self) -> Q:
        session = Q(reviewed_at__gte=self.since)
        return session if self.deck is None else session & Q(card__deck=self.deck)

    @property
    def last_review_id(self) -> int | None:
        """The session's latest review, to undo: it comes with today's deck counts."""
        ids = [d.session_last_id for d in self.day.deck_list if self.deck in (None, d)]
        return max((i for i in ids if i is not None), default=None)

    @property
    def reviewed(self) -> int:
        return self.summary_counts["reviewed"]

    @property
    def time_spent(self) -> str:
        return format_duration(self.summary_counts["time_ms"])

    @property
    def ratings(self) -> list[dict]:
        return [
            {"rating": r, "label": RATING_LABELS[r], "count": self.summary_counts[f"rated_{r}"]}
            for r in Rating.ALL
        ]

    def next_card(self) -> tuple[Card | None, int]:
        """The first card of the study queue, and how many cards are left to study now."""
        if self.ahead is not None:
            return self.day.review_ahead(days=self.ahead, since=self.since, deck=self.deck)
        card, due, new = self.day.next_in_queue(deck=self.deck)
        return card, due + new

    def next_due(self) -> Upcoming:
        """For the summary: when the next card comes, whether the limits hold cards back, and
        whether cards come later that the learner may review ahead."""
        return self.day.next_card_at(deck=self.deck)

    def held_new(self) -> list[Deck]:
        """For the summary: the decks in which "study more" can let more new cards in today."""
        return list(self.day.held_new(deck=self.deck))

    def undo(self, review_id: int) -> Card | None:
        """Undo one of this session's reviews; its card as it is again, or None.

        None when the review is gone (a repeated undo: a double tap, a retried request) or its
        card was graded again since (another device): then nothing changes.
        """
        log = self.reviews().filter(pk=review_id).first()
        if log is None:
            return None
        try:
            log.undo(learner=self.user)
        except ValueError:
            return None
        return Card.objects.select_related("deck", "phrase__speech").get(pk=log.card_id)
