"""Reading flashcards from text: CSV, TSV, semicolon- and pipe-separated text, Anki's plain-text
export (with its `#key:value` headers) and Quizlet's export.

Everything here is pure Python on bytes and strings; the database is the service's business.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Protocol, TypeAlias

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from _csv import Reader  # what csv.reader() returns

CARD_FIELDS = ("front", "back", "example", "notes", "tags")
# Card field → the index of the column it is read from (None or absent: not imported).
ColumnMapping: TypeAlias = dict[str, int | None]
# One review from an Anki package's review log: (reviewed_at, rating, duration_ms or None).
Review: TypeAlias = tuple[datetime, int, int | None]
# Our own CSV export's header: a file that starts with it gets its formula guards taken off.
EXPORT_HEADER = list(CARD_FIELDS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# What the learner may choose (Python's codec → its name); detection also knows UTF-16.
ENCODINGS = {"utf-8": "UTF-8", "cp1251": "Windows-1251", "cp1252": "Windows-1252"}
SEPARATORS = {"tab": "\t", "semicolon": ";", "pipe": "|", "comma": ",", "space": " ", "colon": ":"}
# Tried in this order; on a tie the earlier one wins (a tab is rarely inside a phrase).
DETECTED_SEPARATORS = ("\t", ";", "|", ",")

COLUMN_NAMES = {
    "front": {"front", "term", "question", "word", "phrase", "вопрос", "слово", "термин", "фраза"},
    "back": {"back", "definition", "answer", "translation", "meaning", "ответ", "перевод"},
    "example": {"example", "examples", "пример", "примеры"},
    "notes": {"notes", "note", "extra", "заметки", "примечание", "примечания"},
    "tags": {"tags", "теги", "метки"},
}
ANKI_HEADERS = {
    "separator",
    "html",
    "tags",
    "columns",
    "deck",
    "notetype",
    "tags column",
    "deck column",
    "notetype column",
    "guid column",
    "if matches",
}
SPECIAL_COLUMNS = ("tags column", "deck column", "notetype column", "guid column")
ANKI_HEADER = re.compile(r"#([a-z ]+):(.*)")
LOOKS_LIKE_HTML = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
ANKI_SOUND = re.compile(r"\[sound:([^\]]*)\]")
SPACES = re.compile(r"[ \t]{2,}")
COLUMN_NUMBER = re.compile(r"[0-9]{1,4}")
WORD = re.compile(r"[^\W\d_]+")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN = re.compile(r"[a-zA-Z]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportRefused(Exception):
    """The input cannot be imported at all. The message is meant for the learner."""


@dataclass
class ImportedCard:
    """One card of an Anki note, to become the phrase's card of `direction` (a Direction)."""

    direction: str
    history: list[Review] = field(default_factory=list)  # in order
    suspended: bool = False
    # Anki's SM-2 interval (days) and ease (2.5 is 250%) where the history is not whole: before
    # its first review when it is partial, now when there is none (then `due` is Anki's).
    sm2_interval: float = 0.0
    sm2_ease: float = 0.0
    due: datetime | None = None


class MediaFiles(Protocol):
    def read(self, name: str) -> bytes | None: ...


@dataclass
class Row:
    line: int
    fields: list[str]
    tags: str = ""
    subdeck: str = ""
    # An Anki note's cards; empty for text, whose phrases get their deck's directions.
    cards: list[ImportedCard] = field(default_factory=list)
    image: str = ""  # the names of the package's media files the note refers to
    image_side: str = "front"  # where the note showed its picture: "back" from its back field
    audio: str = ""
    # An Anki note's own fields and the key of its note type in Source.notetypes: what a
    # mapping the learner chose for that note type reads (`fields` are by the default one).
    note_fields: list[str] = field(default_factory=list)
    notetype: str = ""


@dataclass
class NotetypeColumns:
    """An Anki note type whose fields the learner maps like a CSV's columns."""

    name: str
    columns: list[str]  # its fields' names
    mapping: ColumnMapping  # what the fields' names suggest


@dataclass
class Source:
    """What a file holds, before it is mapped to cards."""

    format: str
    rows: list[Row]
    columns: list[str] = field(default_factory=list)
    mapping: ColumnMapping = field(default_factory=dict)
    separator: str = ""
    encoding: str = ""
    doubtful_lines: list[int] = field(default_factory=list)  # not in `encoding` (see Decoded)
    encoding_note: str = ""
    deck_name: str = ""
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    # What an imported note comes without (a card, a media file): (line, what and why).
    left_out: list[tuple[int, str]] = field(default_factory=list)
    media_count: int = 0
    has_history: bool = False
    has_subdecks: bool = False
    media: MediaFiles | None = None  # the package's files, read when a phrase needs one
    notetypes: dict[str, NotetypeColumns] = field(default_factory=dict)  # by Row.notetype

    @property
    def column_count(self) -> int:
        return max([len(self.columns), *(len(row.fields) for row in self.rows[:100])], default=0)

    @property
    def separator_name(self) -> str:
        names = {value: key for key, value in SEPARATORS.items()}
        return names.get(self.separator, self.separator)


def refuse_too_many_rows(max_rows: int) -> ImportRefused:
    return ImportRefused(
        ngettext(
            "The file has more than %(max)d row; split it into smaller files.",
            "The file has more than %(max)d rows; split it into smaller files.",
            max_rows,
        )
        % {"max": max_rows}
    )


@dataclass
class Decoded:
    text: str
    encoding: str  # its name
    doubtful_lines: list[int] = field(default_factory=list)  # read by a guess, or not readable
    note: str = ""  # what the preview tells the learner about them


def decode(data: bytes, encoding: str = "") -> Decoded:
    """The text: in `encoding` (a key of ENCODINGS) when the learner chose one; otherwise UTF-8
    (with or without BOM), UTF-16 with BOM, or a guessed 8-bit encoding — Windows-1251, which
    Russian word lists made on Windows often are, or Windows-1252."""
    if not data.strip():
        raise ImportRefused(_("The file is empty."))
    if encoding in ENCODINGS:
        return _decode_as(data, encoding)
    boms = (
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
    )
    for bom, codec, name in boms:
        if data.startswith(bom):
            try:
                return Decoded(_plain_text(data.decode(codec)), name)
            except UnicodeDecodeError:
                message = _("The file is not valid %(encoding)s text.")
                raise ImportRefused(message % {"encoding": name}) from None
    if b"\0" in data:
        raise _not_text()
    try:
        return Decoded(_plain_text(data.decode("utf-8")), "UTF-8")
    except UnicodeDecodeError:
        return _decode_guessed(data)


def _decode_as(data: bytes, codec: str) -> Decoded:
    """The learner's choice: what cannot be read in it becomes U+FFFD, and the lines are named."""
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    name = ENCODINGS[codec]
    unreadable = [number for number, line in _lines(data) if not _decodes(line, codec)]
    decoded = Decoded(_plain_text(data.decode(codec, errors="replace")), name, unreadable)
    if unreadable:
        decoded.note = ngettext(
            "Line %(lines)s is not valid %(encoding)s: what could not be read shows as �.",
            "Lines %(lines)s are not valid %(encoding)s: what could not be read shows as �.",
            _one_or_many(unreadable),
        ) % {"lines": _line_list(unreadable), "encoding": name}
    return decoded


def _decode_guessed(data: bytes) -> Decoded:
    """Not UTF-8 as a whole: its UTF-8 lines are read as UTF-8, the others in the 8-bit
    encoding they look like; the preview names those lines unless the guess is sure (a file
    of Russian in Windows-1251)."""
    lines = list(_lines(data))
    doubtful = [number for number, line in lines if not _decodes(line, "utf-8")]
    codec = _guess_8bit(b"\n".join(lines[number - 1][1] for number in doubtful))
    has_utf8 = any(not line.isascii() and _decodes(line, "utf-8") for _number, line in lines)
    if not has_utf8:
        text = _plain_text(data.decode(codec, errors="replace"))
        if codec == "cp1251":
            return Decoded(text, ENCODINGS[codec])
        doubtful = [number for number, line in lines if not line.isascii()]
        decoded = Decoded(text, ENCODINGS[codec], doubtful)
    else:
        parts = [
            line.decode("utf-8") if _decodes(line, "utf-8") else line.decode(codec, "replace")
            for _number, line in lines
        ]
        decoded = Decoded(_plain_text("\n".join(parts)), "UTF-8", doubtful)
    decoded.note = ngettext(
        "Line %(lines)s is not valid UTF-8 and was read as %(encoding)s.",
        "Lines %(lines)s are not valid UTF-8 and were read as %(encoding)s.",
        _one_or_many(doubtful),
    ) % {"lines": _line_list(doubtful), "encoding": ENCODINGS[codec]}
    decoded.note += " " + str(_("If the text looks wrong, choose the file’s encoding."))
    return decoded


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    return enumerate(data.split(b"\n"), start=1)


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _guess_8bit(data: bytes) -> str:
    """Windows-1251 for what reads as Russian in it, else Windows-1252 (Western European)."""
    text = data.decode("cp1251", errors="replace")
    words = [word for word in WORD.findall(text) if CYRILLIC.search(word)]
    # Spanish or French read as Windows-1251 has Cyrillic letters inside Latin words ("adiуs").
    mixed = sum(1 for word in words if LATIN.search(word))
    return "cp1251" if _mostly_cyrillic(text) and mixed <= len(words) // 10 else "cp1252"


def _one_or_many(numbers: list[int]) -> int:
    """The count for ngettext when the choice is "line" or "lines", not the numeral's agreement
    (Russian's form for 21 is its form for 1)."""
    return min(len(numbers), 2)


def _line_list(numbers: list[int]) -> str:
    shown = ", ".join(str(number) for number in numbers[:10])
    if len(numbers) > 10:
        shown += " " + _("and %(count)d more") % {"count": len(numbers) - 10}
    return shown


def _not_text() -> ImportRefused:
    return ImportRefused(
        _("This file is neither text (UTF-8, UTF-16 or Windows-1251) nor an Anki package.")
    )


def _mostly_cyrillic(text: str) -> bool:
    non_ascii = [char for char in text if ord(char) > 127]
    cyrillic = sum(1 for char in non_ascii if "\u0400" <= char <= "\u04ff")
    return cyrillic >= 0.8 * len(non_ascii)


def _plain_text(text: str) -> str:
    if len(CONTROL.findall(text)) > max(len(text) // 100, 0):
        raise _not_text()
    text = without_nul(text)
    if not text.strip():
        raise ImportRefused(_("The file is empty."))
    return text


def without_nul(text: str) -> str:
    """PostgreSQL text cannot hold NUL (SQLite can): stripped wherever a file's text comes in,
    so that both databases import the same."""
    return text.replace("\x00", "")


class _TextExtractor(HTMLParser):
    BLOCKS = {"div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self._newline()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(self.hidden - 1, 0)
        elif tag in self.BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """HTML reduced to plain text, line breaks kept (images, sounds and markup dropped)."""
    parser = _TextExtractor()
    parser.feed(value)
    parser.close()
    text = ANKI_SOUND.sub("", "".join(parser.parts)).replace("\xa0", " ")
    # HTML shows a run of spaces as one: a sound or picture taken out leaves no double space.
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def clean_field(value: str, *, html: bool | None) -> str:
    """`html` True: the field is HTML; False: plain text; None: HTML if it looks like it."""
    if html or (html is None and LOOKS_LIKE_HTML.search(value)):
        return html_to_text(value)
    return value.strip()


def parse_text(
    data: bytes,
    *,
    max_rows: int,
    separator: str = "",
    row_separator: str = "",
    encoding: str = "",
) -> Source:
    """Rows from a text file. `separator` and `row_separator` override detection (Quizlet lets
    the learner choose any string for both), and `encoding` (a key of ENCODINGS) too."""
    decoded = decode(data, encoding)
    text = decoded.text
    headers, body, first_line = _anki_headers(text.replace("\r\n", "\n").replace("\r", "\n"))
    separator = separator or _header_separator(headers.get("separator", ""))
    if not row_separator and not separator and _looks_like_quizlet_rows(body):
        separator, row_separator = "\t", ";"
    if row_separator or len(separator) > 1:
        source = _split_plain(body, separator or "\t", row_separator or "\n", first_line, max_rows)
    else:
        separator = separator or _detect_separator(body)
        source = _split_csv(body, separator, first_line, max_rows)
    source.encoding = decoded.encoding
    source.doubtful_lines, source.encoding_note = decoded.doubtful_lines, decoded.note
    _apply_anki_headers(source, headers)
    return source


def _header_separator(value: str) -> str:
    """Anki writes a name (`#separator:Tab`, `Comma`, …) or the character itself."""
    return SEPARATORS.get(value.strip().lower(), value if len(value) == 1 else "")


def _anki_headers(text: str) -> tuple[dict[str, str], str, int]:
    """Anki's `#key:value` lines at the top (Anki 2.1.54 and later) and the text after them."""
    headers: dict[str, str] = {}
    lines = text.split("\n")
    count = 0
    for line in lines:
        match = ANKI_HEADER.fullmatch(line.strip())
        if not match or match[1] not in ANKI_HEADERS:
            break
        headers[match[1]] = match[2].strip() if match[1] != "separator" else match[2]
        count += 1
    return headers, "\n".join(lines[count:]), count + 1


def _looks_like_quizlet_rows(body: str) -> bool:
    """Quizlet's "tab between term and definition, semicolon between rows": one long line."""
    lines = [line for line in body.split("\n") if line.strip()]
    if len(lines) != 1:
        return False
    tabs, semicolons = lines[0].count("\t"), lines[0].count(";")
    return tabs >= 2 and semicolons >= tabs - 1


def _detect_separator(body: str) -> str:
    sample = "\n".join(body.split("\n")[:50])
    best, best_score = "\t", (0.0, 0)
    for candidate in DETECTED_SEPARATORS:
        try:
            records = [r for r in _reader(sample, candidate) if any(f.strip() for f in r)][:20]
        except csv.Error:  # a field over the csv module's limit: not this separator
            continue
        widths = [len(record) for record in records]
        if not widths:
            continue
        modal = max(set(widths), key=widths.count)
        if modal < 2:
            continue
        score = (widths.count(modal) / len(widths), -modal)
        if score[0] > best_score[0]:
            best, best_score = candidate, score
    return best


def _reader(text: str, separator: str) -> "Reader":
    return csv.reader(io.StringIO(text), delimiter=separator, quotechar='"', strict=False)


def _split_csv(body: str, separator: str, first_line: int, max_rows: int) -> Source:
    rows: list[Row] = []
    reader = _reader(body, separator)
    start = 0
    try:
        for record in reader:
            line, start = first_line + start, reader.line_num
            if not any(value.strip() for value in record):
                continue
            if len(rows) >= max_rows + 1:  # one more, in case the first is a header
                raise refuse_too_many_rows(max_rows)
            rows.append(Row(line=line, fields=record))
    except csv.Error:  # the one error of a non-strict reader: a field over the size limit
        raise _refuse_long_field(first_line + start) from None
    return _with_header(Source(format="csv", rows=rows, separator=separator), max_rows)


def _refuse_long_field(line: int) -> ImportRefused:
    message = _(
        "Line %(line)d holds a field longer than %(limit)d characters: perhaps a quote that "
        "is never closed."
    )
    return ImportRefused(message % {"line": line, "limit": csv.field_size_limit()})


def _split_plain(
    body: str, separator: str, row_separator: str, first_line: int, max_rows: int
) -> Source:
    rows: list[Row] = []
    line = first_line
    for chunk in body.split(row_separator):
        if chunk.strip():
            if len(rows) >= max_rows:
                raise refuse_too_many_rows(max_rows)
            rows.append(Row(line=line, fields=chunk.strip("\n").split(separator, 1)))
        line += chunk.count("\n") + (row_separator == "\n")
    source = Source(format="quizlet", rows=rows, separator=separator)
    source.mapping = {"front": 0, "back": 1}
    return source


def _with_header(source: Source, max_rows: int) -> Source:
    first = [value.strip().lower() for value in source.rows[0].fields] if source.rows else []
    mapping: ColumnMapping = {}
    for index, name in enumerate(first):
        for card_field, names in COLUMN_NAMES.items():
            if name in names and card_field not in mapping:
                mapping[card_field] = index
    if "front" in mapping and len(mapping) >= 2:
        if first == EXPORT_HEADER:
            source.format = "phraseweaver"
            for row in source.rows[1:]:
                row.fields = [_unguard(value) for value in row.fields]
        source.columns = source.rows[0].fields
        source.rows = source.rows[1:]
        source.mapping = mapping
    else:
        source.mapping = {"front": 0, "back": 1}
    if len(source.rows) > max_rows:
        raise refuse_too_many_rows(max_rows)
    return source


def _unguard(value: str) -> str:
    """Undo our export's guard against spreadsheet formulas ('=x → =x)."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _apply_anki_headers(source: Source, headers: dict[str, str]) -> None:
    if headers and source.format == "csv":
        source.format = "anki-text"
    special = {_column(headers, key) for key in SPECIAL_COLUMNS} - {None}
    if "columns" in headers:
        source.columns = [name.strip() for name in headers["columns"].split(source.separator)]
        source.mapping = {}
        for index, name in enumerate(source.columns):
            for card_field, known in COLUMN_NAMES.items():
                taken = card_field in source.mapping or index in special
                if name.lower() in known and not taken:
                    source.mapping[card_field] = index
    elif special:
        free = [i for i in range(source.column_count) if i not in special]
        source.mapping = dict(zip(("front", "back"), free, strict=False))
    if _column(headers, "tags column") is not None:
        source.mapping["tags"] = _column(headers, "tags column")
    deck_column = _column(headers, "deck column")
    # Our own export is plain text; elsewhere a field that looks like HTML is HTML.
    html = {"true": True, "false": False}.get(headers.get("html", "").lower())
    if source.format == "phraseweaver":
        html = False
    for row in source.rows:
        row.fields = [clean_field(value, html=html) for value in row.fields]
        row.tags = headers.get("tags", "")
        if deck_column is not None and deck_column < len(row.fields):
            row.subdeck = row.fields[deck_column]
            source.has_subdecks = True
    source.deck_name = headers.get("deck", "")


def _column(headers: dict[str, str], key: str) -> int | None:
    """The column a `#… column:` header names (Anki counts from 1), None when it is empty."""
    value = headers.get(key, "")
    if not value:
        return None
    # Only ASCII digits: "²".isdigit() is true, and int() refuses 4,300 digits.
    if not COLUMN_NUMBER.fullmatch(value) or int(value) == 0:
        message = _("The header “#%(key)s:%(value)s” is not a column number.")
        raise ImportRefused(message % {"key": key, "value": value[:20]})
    return int(value) - 1
