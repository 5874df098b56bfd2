"""Input of the review flow: the session scope (query string), a grade and an undo (POST)."""

from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from cards.scheduling import Rating

# Longer than this on one card, the learner was away rather than thinking: the time is capped
# so that one forgotten open tab does not distort the statistics.
MAX_DURATION_MS = 10 * 60 * 1000
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1
MAX_AHEAD_DAYS = 365
MAX_MORE_NEW = 9999


def first_error(*forms_: forms.Form) -> str:
    """A short message naming the first bad field, for a 400 response."""
    for form in forms_:
        for field, errors in form.errors.items():
            return f"{field}: {errors[0]}"
    return ""


class ScopeForm(forms.Form):
    """The review session a request belongs to: when it began (Unix seconds) and its deck."""

    since = forms.IntegerField(min_value=0, required=False)
    deck = forms.IntegerField(min_value=1, max_value=MAX_BIGINT, required=False)
    # "Study more": review the cards due within this many days ahead of time.
    ahead = forms.IntegerField(min_value=1, max_value=MAX_AHEAD_DAYS, required=False)

    def since_datetime(self, now: datetime) -> datetime | None:
        since = self.cleaned_data["since"]
        if since is None:
            return None
        # Capped at now first: a huge number would be past the year 9999 and fail to convert.
        return datetime.fromtimestamp(min(since, int(now.timestamp())), UTC)


class GradeForm(forms.Form):
    rating = forms.TypedChoiceField(choices=[(str(r), str(r)) for r in Rating.ALL], coerce=int)
    # The card version the learner saw: a second grade of the same version is stale.
    version = forms.IntegerField(min_value=0, max_value=MAX_INT)
    duration_ms = forms.IntegerField(min_value=0, required=False)

    def clean_duration_ms(self) -> int | None:
        duration = self.cleaned_data["duration_ms"]
        return None if duration is None else min(duration, MAX_DURATION_MS)


class StudyMoreForm(forms.Form):
    """ "Study more" (Anki's custom study): this many more new cards today in this deck."""

    new = forms.IntegerField(label=_("New cards"), min_value=1, max_value=MAX_MORE_NEW)


class UndoForm(forms.Form):
    # The review the Undo button was shown for: a repeated undo finds it gone and does nothing.
    review = forms.IntegerField(min_value=1, max_value=MAX_BIGINT)
