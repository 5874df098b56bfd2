"""A review session: one sitting of reviews, over all decks or one, and what its screens show.

The session is the learner's reviews since the review page was opened; its start (`since`) and
deck travel in the query string of every review link and form, so the server keeps no state.
Each screen costs the same few queries however many cards are due: one for today's progress
together with the session's latest review, one for the next card together with the count of
cards left, and on the summary two more: the session's reviews, and when the next card is due.
"""

from datetime import datetime
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Count, Max, Min, Q, Sum, Window
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from cards.models import Card, DailyProgress, ReviewLog, local_day_start, study_queue
from cards.scheduling import Rating, format_interval

RATING_LABELS = {
    Rating.AGAIN: pgettext_lazy("grade", "Again"),
    Rating.HARD: pgettext_lazy("grade", "Hard"),
    Rating.GOOD: pgettext_lazy("grade", "Good"),
    Rating.EASY: pgettext_lazy("grade", "Easy"),
}


def grade_buttons(card: Card, now: datetime) -> list[dict]:
    """The four grades with the interval each would give this card now ("Good 2d")."""
    due = card.preview(now)
    return [
        {"rating": r, "label": RATING_LABELS[r], "interval": format_interval(due[r] - now)}
        for r in Rating.ALL
    ]


def format_duration(ms: int) -> str:
    """A language-neutral clock reading: 0:42, 12:05, 1:02:09."""
    minutes, seconds = divmod(round(ms / 1000), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


class ReviewSession(DailyProgress):
    """Today's progress against the daily limits, and this session's reviews.

    Counts what DailyProgress counts (new cards and reviews done today, all decks) together with
    the session's reviews by rating, in one query made on first use — after the grade or undo
    that the screen reports on.
    """

    def __init__(self, user, *, since=None, deck=None, now=None):
        self.user = user
        self.deck = deck
        self.now = now or timezone.now()
        self.day_start = local_day_start(user, self.now)
        # Without a start (a link from outside the review page), the session is today's.
        self.since = self.day_start if since is None else min(since, self.now)

    @property
    def query(self) -> str:
        """The query string that keeps a request in this session."""
        params = {"since": int(self.since.timestamp())}
        if self.deck is not None:
            params["deck"] = self.deck.pk
        return urlencode(params)

    @property
    def url(self) -> str:
        """The review page of this session."""
        if self.deck is None:
            return f"{reverse('review')}?{self.query}"
        return f"{reverse('deck_review', args=[self.deck.pk])}?{self.query}"

    def reviews(self):
        return ReviewLog.objects.filter(self._in_session(), user=self.user)

    @cached_property
    def counts(self) -> dict:
        """What every screen needs: today's counts against the limits, and the review to undo.

        Few aggregates on purpose: Django builds each one in Python on every screen, and that
        costs far more than PostgreSQL's work here (bench/README.md).
        """
        today = Q(reviewed_at__gte=self.day_start)
        logs = ReviewLog.objects.filter(
            user=self.user, reviewed_at__gte=min(self.since, self.day_start)
        )
        return logs.aggregate(
            new_done=Count("id", filter=today & Q(last_review_before__isnull=True)),
            reviews_done=Count("id", filter=today & Q(last_review_before__isnull=False)),
            last_review_id=Max("id", filter=self._in_session()),
        )

    @cached_property
    def summary_counts(self) -> dict:
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
    def new_done(self) -> int:
        return self.counts["new_done"]

    @property
    def reviews_done(self) -> int:
        return self.counts["reviews_done"]

    @property
    def last_review_id(self) -> int | None:
        return self.counts["last_review_id"]

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
        queue = study_queue(self.user, self, deck=self.deck).annotate(
            new_waiting=Window(Count("id", filter=Q(last_review__isnull=True))),
            seen_waiting=Window(Count("id", filter=Q(last_review__isnull=False))),
        )
        card = queue.first()
        if card is None:
            return None, 0
        left = min(card.new_waiting, self.new_left) + min(card.seen_waiting, self.reviews_left)
        return card, left

    def next_due(self) -> tuple[datetime | None, bool]:
        """When the next card can be studied, and whether today's limits hold cards back.

        For the summary, when the queue is empty: any new or due card left is held back by a
        limit until tomorrow; otherwise the next card is the earliest one to fall due.
        """
        cards = Card.objects.for_user(self.user).active()
        if self.deck is not None:
            cards = cards.filter(deck=self.deck)
        found = cards.aggregate(
            held=Count("id", filter=Q(last_review__isnull=True) | Q(due__lte=self.now)),
            next_seen=Min("due", filter=Q(last_review__isnull=False, due__gt=self.now)),
        )
        times = [self.next_day_start] if found["held"] else []
        if found["next_seen"] is not None:
            next_seen = found["next_seen"]
            times.append(next_seen if self.reviews_left else max(next_seen, self.next_day_start))
        return min(times, default=None), bool(found["held"])

    def undo(self, review_id: int) -> Card | None:
        """Undo one of this session's reviews; its card as it is again, or None.

        None when the review is gone (a repeated undo: a double tap, a retried request) or its
        card was graded again since (another device): then nothing changes.
        """
        log = self.reviews().filter(pk=review_id).first()
        if log is None:
            return None
        try:
            log.undo()
        except ValueError:
            return None
        return Card.objects.select_related("deck").get(pk=log.card_id)
