from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cards.forms import PhraseForm
from cards.models import Deck


class DraftForm(PhraseForm):
    """A card draft as the learner confirms it in the Mini App: the phrase and its deck."""

    deck = forms.ModelChoiceField(
        label=_("Deck"),
        queryset=Deck.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of your decks.")},
    )

    class Meta(PhraseForm.Meta):
        fields = ["front", "back", "example", "notes"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deck_field = self.fields["deck"]
        assert isinstance(deck_field, forms.ModelChoiceField)
        deck_field.queryset = Deck.objects.for_user(user)
