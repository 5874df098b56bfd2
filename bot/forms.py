from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cards.forms import PhraseForm
from cards.models import Deck


class DraftForm(PhraseForm):
    """A card draft as the learner confirms it in the Mini App: the phrase and its deck.

    The learner's decks are given, read once for all the drafts on the screen.
    """

    deck = forms.TypedChoiceField(
        label=_("Deck"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose one of your decks.")},
    )

    class Meta(PhraseForm.Meta):
        fields = ["front", "back", "example", "notes"]

    def __init__(self, *args: Any, decks: list[Deck], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decks = {deck.pk: deck for deck in decks}
        deck_field = self.fields["deck"]
        assert isinstance(deck_field, forms.TypedChoiceField)
        deck_field.choices = [(deck.pk, deck.name) for deck in decks]

    def clean_deck(self) -> Deck:
        return self.decks[self.cleaned_data["deck"]]
