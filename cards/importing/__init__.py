"""Importing flashcards: text formats (formats.py), Anki packages (apkg.py), the service."""

from django.conf import settings
from django.utils.translation import gettext as _

from cards.importing import apkg
from cards.importing.formats import ImportRefused, Source, parse_text
from cards.importing.service import ImportOptions, ImportReport, deck_import, preview_rows

__all__ = [
    "ImportOptions",
    "ImportRefused",
    "ImportReport",
    "Source",
    "deck_import",
    "preview_rows",
    "read_source",
    "too_large",
]


def read_source(
    data: bytes, *, separator: str = "", row_separator: str = "", encoding: str = ""
) -> Source:
    """Whatever the bytes are (text, an Anki package, a bare Anki collection), as a Source.

    Raises ImportRefused with a message for the learner when they cannot be imported.
    """
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ImportRefused(too_large())
    max_rows = settings.IMPORT_MAX_ROWS
    if data.startswith(apkg.ZIP_MAGIC):
        return apkg.read_package(data, max_rows=max_rows)
    if data.startswith(apkg.SQLITE_MAGIC):
        return apkg.read_collection(data, max_rows=max_rows)
    return parse_text(
        data,
        max_rows=max_rows,
        separator=separator,
        row_separator=row_separator,
        encoding=encoding,
    )


def too_large() -> str:
    """What the learner is told about a file or text over IMPORT_MAX_BYTES."""
    size = f"{settings.IMPORT_MAX_BYTES / 1_000_000:g} MB"
    return _("The file is larger than %(size)s.") % {"size": size}
