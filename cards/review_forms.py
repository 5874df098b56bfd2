"""Input of the review flow: the session scope (query string), a grade and an undo (POST)."""

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cards.models import Phrase
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


# A typed answer is at most as long as a phrase's front can be (cards.answer_check's work grows
# with the product of the two lengths).
MAX_TYPED = Phrase._meta.get_field("front").max_length


class TypedAnswerForm(forms.Form):
    """The phrase as the learner typed it on a production card; empty is "I don't know"."""

    typed = forms.CharField(
        label=_("Type the phrase"),
        required=False,
        strip=False,  # what was typed is shown as typed; spacing does not count anyway
        max_length=MAX_TYPED,
    )

    def __init__(self, *args: Any, lang: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # The phone's keyboard: no capitals, corrections or suggestions that would type the
        # answer for the learner, the deck's language, and "done" on its Enter key.
        self.fields["typed"].widget.attrs.update(
            {
                "autofocus": True,
                "enterkeyhint": "done",
                "autocomplete": "off",
                "autocapitalize": "off",
                "autocorrect": "off",
                "spellcheck": "false",
                "dir": "auto",
                **({"lang": lang} if lang else {}),
            }
        )

    @property
    def answer(self) -> str:
        return self.cleaned_data["typed"]
