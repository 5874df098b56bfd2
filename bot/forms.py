from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cards.models import Deck


class ReceivedFileForm(forms.Form):
    """The deck a file sent to the bot goes into: one of the learner's, or (empty) a new one."""

    deck = forms.ModelChoiceField(
        label=_("Import into"), queryset=Deck.objects.none(), required=False
    )

    def __init__(self, *args: Any, decks: QuerySet[Deck], new_name: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["deck"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = decks
        field.empty_label = _("A new deck: %(name)s") % {"name": new_name}
