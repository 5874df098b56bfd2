import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cards.importing import ImportOptions, ImportRefused, Source, read_source, too_large
from cards.importing.formats import CARD_FIELDS, ENCODINGS, SEPARATORS, ColumnMapping

# The card fields a note type's fields are mapped to (its tags are the note's).
NOTE_FIELDS = ("front", "back", "example", "notes")
FIELD_NUMBER = re.compile(r"[0-9]{1,3}")

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
        # An Anki package's note types have pickers of their own (and the global ones then
        # are not shown).
        if data["mapped"] and not source.notetypes:
            mapping = {name: data[name] for name in CARD_FIELDS}
            if mapping["front"] is None or mapping["back"] is None:
                mapping.update(front=source.mapping.get("front"), back=source.mapping.get("back"))
        return ImportOptions(
            mapping=mapping,
            swap=data["swap"],
            update_duplicates=data["duplicates"] == "update",
            keep_scheduling=data["keep_scheduling"],
            subdecks_as_decks=data["subdecks"] == "decks",
            notetype_mappings=self._notetype_mappings(source),
        )

    def _notetype_mappings(self, source: Source) -> dict[str, ColumnMapping]:
        """The fields the learner picked for each note type of an Anki package, once the
        preview has shown its pickers (`nt<key>-front`…); a field not picked is not imported,
        and without a front or back the note type's own mapping stands."""
        if not self.cleaned_data["mapped"]:
            return {}
        chosen: dict[str, ColumnMapping] = {}
        for key, notetype in source.notetypes.items():
            mapping: ColumnMapping = {}
            for name in NOTE_FIELDS:
                value = self.data.get(notetype_field(key, name), "")
                picked = int(value) if FIELD_NUMBER.fullmatch(value) else None
                mapping[name] = (
                    picked if picked is not None and picked < len(notetype.columns) else None
                )
            if mapping["front"] is None or mapping["back"] is None:
                mapping.update(
                    front=notetype.mapping.get("front"), back=notetype.mapping.get("back")
                )
            chosen[key] = mapping
        return chosen


def notetype_field(key: str, name: str) -> str:
    """The name of a note type's picker for one card field."""
    return f"nt{key}-{name}"
