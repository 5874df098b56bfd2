from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cards.importing import ImportOptions, ImportRefused, Source, read_source, too_large
from cards.importing.formats import CARD_FIELDS, ENCODINGS, SEPARATORS

SEPARATOR_CHOICES = [
    ("", _("Detect")),
    ("tab", _("Tab")),
    ("comma", _("Comma")),
    ("semicolon", _("Semicolon")),
    ("pipe", _("Vertical bar")),
    ("custom", _("Other…")),
]
ENCODING_CHOICES = [("", _("Detect")), *ENCODINGS.items()]
DUPLICATE_CHOICES = [("skip", _("Skip them")), ("update", _("Update them"))]
SUBDECK_CHOICES = [("tags", _("Into this deck, tagged")), ("decks", _("Each into its own deck"))]


class ImportForm(forms.Form):
    text = forms.CharField(label=_("Or paste text"), required=False, widget=forms.Textarea)
    file = forms.FileField(label=_("File"), required=False)
    separator = forms.ChoiceField(label=_("Separator"), choices=SEPARATOR_CHOICES, required=False)
    custom_separator = forms.CharField(
        label=_("Between term and definition"), max_length=10, required=False, strip=False
    )
    row_separator = forms.CharField(
        label=_("Between rows (empty: new line)"), max_length=10, required=False, strip=False
    )
    encoding = forms.ChoiceField(label=_("Encoding"), choices=ENCODING_CHOICES, required=False)
    # Set once the preview has shown the column pickers: an empty picker then means "none".
    mapped = forms.BooleanField(required=False, widget=forms.HiddenInput)
    front = forms.IntegerField(min_value=0, max_value=999, required=False)
    back = forms.IntegerField(min_value=0, max_value=999, required=False)
    example = forms.IntegerField(min_value=0, max_value=999, required=False)
    notes = forms.IntegerField(min_value=0, max_value=999, required=False)
    tags = forms.IntegerField(min_value=0, max_value=999, required=False)
    swap = forms.BooleanField(label=_("Swap front and back"), required=False)
    duplicates = forms.ChoiceField(
        label=_("Cards whose front is already in the deck"),
        choices=DUPLICATE_CHOICES,
        required=False,
    )
    keep_scheduling = forms.BooleanField(label=_("Keep the review history"), required=False)
    subdecks = forms.ChoiceField(label=_("Subdecks"), choices=SUBDECK_CHOICES, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean() returns
        upload, text = data.get("file"), data.get("text", "")
        if upload and text.strip():
            raise forms.ValidationError(_("Choose a file or paste text, not both."))
        if not upload and not text.strip() and "text" not in self.errors:
            raise forms.ValidationError(_("Choose a file or paste some text."))
        if upload and upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(too_large())
        return data

    def read(self) -> Source:
        """Parse the upload or the pasted text (raises ImportRefused). Nothing is stored: the
        browser sends the same file or text again with the import."""
        upload = self.cleaned_data["file"]
        data = upload.read() if upload else self.cleaned_data["text"].encode()
        separator = self.cleaned_data["separator"]
        if separator == "custom":
            separator = self.cleaned_data["custom_separator"]
        else:
            separator = SEPARATORS.get(separator, "")
        row_separator = self.cleaned_data["row_separator"]
        return read_source(
            data,
            separator=separator,
            row_separator=row_separator,
            encoding=self.cleaned_data["encoding"] if upload else "",  # pasted text is text
        )

    def source(self) -> Source | None:
        """The parsed upload or text, or None with what is wrong added to the form's errors."""
        if not self.is_valid():
            return None
        try:
            return self.read()
        except ImportRefused as refused:
            self.add_error(None, str(refused))
            return None

    def options(self, source: Source) -> ImportOptions:
        data = self.cleaned_data
        mapping = dict(source.mapping)
        if data["mapped"]:
            mapping = {name: data[name] for name in CARD_FIELDS}
            if mapping["front"] is None or mapping["back"] is None:
                mapping.update(front=source.mapping.get("front"), back=source.mapping.get("back"))
        return ImportOptions(
            mapping=mapping,
            swap=data["swap"],
            update_duplicates=data["duplicates"] == "update",
            keep_scheduling=data["keep_scheduling"],
            subdecks_as_decks=data["subdecks"] == "decks",
        )
