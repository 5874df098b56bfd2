from collections.abc import Callable
from typing import Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from cards.media import audio, files, images, speech
from cards.models import Deck, Direction, Phrase
from phraseweaver.widgets import PlainSelect

T = TypeVar("T")

# Languages people commonly learn, by Django's codes: Django's own catalogues translate their
# names into the interface language.
LANGUAGE_CODES = [
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu", "hy",
    "id", "it", "ja", "ka", "kk", "ko", "nl", "pl", "pt", "ro", "ru", "sr", "sv", "th", "tr",
    "uk", "uz", "vi", "zh-hans", "zh-hant",
]  # fmt: skip


def language_name(code: str) -> str:
    """The language's name in the interface language; an unknown code (from an import) as is."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def language_choices() -> list[tuple[str, str | Promise]]:
    names = sorted(((code, language_name(code)) for code in LANGUAGE_CODES), key=lambda c: c[1])
    return [("", _("Not set")), *names]


class Form(forms.ModelForm):
    """Labels without a trailing colon: they sit above their inputs. The learner's text runs
    in its own direction (an Arabic or Hebrew phrase right to left)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.TextInput | forms.Textarea):
                field.widget.attrs.setdefault("dir", "auto")


LIMITS = ("new_cards_per_day", "reviews_per_day")


class DeckForm(Form):
    directions = forms.MultipleChoiceField(
        label=_("New phrases are learned"),
        choices=Direction.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Listening needs the front language, to speak the phrase."),
        error_messages={"required": _("Choose at least one direction.")},
    )
    # Callable choices are evaluated at render time, so the names follow the active language.
    front_lang = forms.ChoiceField(
        label=_("Front language"), choices=language_choices, required=False, widget=PlainSelect
    )
    back_lang = forms.ChoiceField(
        label=_("Back language"), choices=language_choices, required=False, widget=PlainSelect
    )

    class Meta:
        model = Deck
        fields = [
            "name",
            "front_lang",
            "back_lang",
            "description",
            "directions",
            "typed_answers",
            "new_cards_per_day",
            "reviews_per_day",
            "leech_threshold",
            "leech_action",
        ]
        labels = {
            "typed_answers": _("Type the answer on production cards"),
            "new_cards_per_day": _("New cards per day"),
            "reviews_per_day": _("Reviews per day"),
            "leech_threshold": _("Leech after this many lapses"),
            "leech_action": _("Then"),
        }
        help_texts = {
            "leech_threshold": _(
                "A card forgotten this many times, then every half as many more, is a leech."
            ),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "new_cards_per_day": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "reviews_per_day": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "leech_threshold": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "leech_action": PlainSelect,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A new deck starts with the learner's limits from Settings; a limit left out of the
        # form keeps the deck's.
        for name in LIMITS:
            self.fields[name].required = False
            if getattr(self.instance, name) is None and self.instance.owner_id is not None:
                self.initial[name] = getattr(self.instance.owner, name)
        # So do the leech options.
        for name in ("leech_threshold", "leech_action"):
            self.fields[name].required = False
        # Keep a code that is not in our list (an imported deck's) selectable, so that saving
        # the deck's name does not fail on a language the user never touched.
        for name in ("front_lang", "back_lang"):
            code = getattr(self.instance, name)
            if code and code not in LANGUAGE_CODES:
                field = cast(forms.ChoiceField, self.fields[name])  # declared above as one
                field.choices = [*language_choices(), (code, code)]

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if Direction.LISTENING in cleaned.get("directions", []) and not cleaned.get("front_lang"):
            self.add_error(
                "directions", _("Listening needs a front language: choose one, or untick it.")
            )
        return cleaned

    def clean_new_cards_per_day(self) -> int | None:
        return self._limit("new_cards_per_day")

    def clean_reviews_per_day(self) -> int | None:
        return self._limit("reviews_per_day")

    def clean_leech_threshold(self) -> int | None:
        return self._limit("leech_threshold")

    def clean_leech_action(self) -> str:
        return self.cleaned_data["leech_action"] or self.instance.leech_action

    def _limit(self, name: str) -> int | None:
        value = self.cleaned_data[name]
        return getattr(self.instance, name) if value is None else value


class PhraseForm(Form):
    class Meta:
        model = Phrase
        fields = ["front", "back", "example", "notes", "tags"]
        widgets: dict[str, forms.Widget] = {
            "example": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"tags": _("Separated by spaces.")}

    def __init__(self, *args: Any, autofocus: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["front"].widget.attrs["autofocus"] = True


class PhraseMediaForm(PhraseForm):
    """The edit screen's form: the phrase's text, its picture and its own recording.

    Uploads are checked and re-encoded while the form validates (cards/media/), so a bad file
    is a field error with the other fields kept as typed; nothing is stored until save().
    """

    image_file = forms.FileField(
        label=_("Picture"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text=_("JPEG, PNG, WebP or GIF."),
    )
    remove_image = forms.BooleanField(label=_("Remove the picture"), required=False)
    audio_file = forms.FileField(
        label=_("Your pronunciation"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*"}),
        help_text=_("A sound file, or record one."),
    )
    remove_audio = forms.BooleanField(label=_("Remove the recording"), required=False)

    class Meta(PhraseForm.Meta):
        fields = [*PhraseForm.Meta.fields, "image_side"]
        widgets = {**PhraseForm.Meta.widgets, "image_side": forms.RadioSelect()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A form without the choice (an older screen, a script) keeps the phrase's.
        self.fields["image_side"].required = False

    def clean_image_side(self) -> str:
        return self.cleaned_data.get("image_side") or self.instance.image_side

    def clean_image_file(self) -> images.Picture | None:
        upload = self.cleaned_data.get("image_file")
        return _checked(lambda: images.reencode(files.read_upload(upload))) if upload else None

    def clean_audio_file(self) -> audio.Sound | None:
        upload = self.cleaned_data.get("audio_file")
        if not upload:
            return None
        limit = settings.AUDIO_MAX_SECONDS
        return _checked(lambda: audio.to_mp3(files.read_upload(upload), max_seconds=limit))

    def save(self, commit: bool = True) -> Phrase:
        """Store the new files, forget the replaced ones (once saved), and have the worker read
        a changed front. The phrase is always saved (the edit screen's only use)."""
        phrase: Phrase = super().save(commit=False)
        owner = files.owner_prefix
        forgotten = []
        picture, sound = self.cleaned_data["image_file"], self.cleaned_data["audio_file"]
        if picture or self.cleaned_data["remove_image"]:
            forgotten.append(phrase.image)
            phrase.image = ""
            if picture:
                name = files.store(
                    owner(phrase.owner_id, "images"), picture.extension, picture.content
                )
                phrase.image = name
        if sound or self.cleaned_data["remove_audio"]:
            forgotten.append(phrase.audio)
            phrase.audio = (
                files.store(owner(phrase.owner_id, "sounds"), "mp3", sound.mp3) if sound else ""
            )
        if "front" in self.changed_data:
            phrase.speech = None
            speech.request_for_phrases([phrase])
        phrase.save()
        files.delete_on_commit(forgotten)
        return phrase


def _checked(make: Callable[[], T]) -> T:
    try:
        return make()
    except files.MediaRefused as refused:
        raise forms.ValidationError(str(refused)) from None
