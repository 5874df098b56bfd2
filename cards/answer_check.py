"""Checking a typed answer against the expected text, as Anki's type-in comparison does.

The learner's text and the expected one are split into user-perceived characters (grapheme
clusters: a letter with its combining marks, an emoji with its skin tone, variation selector or
ZWJ sequence, a flag) and aligned with difflib's SequenceMatcher, as Anki aligns them. What is
compared is each character's key, so these differences do not count at all:

- case (casefolded: "STRASSE" is "straße") and Unicode's equivalent spellings (NFKC: é typed as
  e + a combining accent, ligatures, full-width letters), variation selectors (❤ and ❤️);
- spacing and punctuation: a character that is only white space, punctuation or a format mark
  (¿ ? ¡ ! , « » ، ؟, a bidi mark) is not compared; it stays in the segments for display.

Accents count as "almost": the character is right but for its marks, so it is shown, and the
suggested grade is Hard, not Again. An accent is any combining mark Unicode gives a combining
class — the search's rule (`cards.search.normalized`): é/e, ñ/n, ü/u, ё/е, й/и, the Arabic
harakat (fatha, kasra, damma, shadda, sukun, tanwin), hamza on alef (أ/ا) — and an emoji's skin
tone. That includes the marks some languages count as letters of their own (ñ in Spanish, й in
Russian): the difference is shown and the learner may still choose Again. Letters that Unicode
does not spell as a base and a mark (ø, ł, ı, æ) are letters of their own.

Exact → Good; only accents differ → Hard; anything right, missing or extra → Again (an empty
answer, "I don't know", has everything missing).
"""

import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from cards.scheduling import Rating

ZWJ = "\u200d"
ZWNJ = "\u200c"


class Kind(StrEnum):
    OK = "ok"  # the same, or a difference that does not count (case, spacing, punctuation)
    ALMOST = "almost"  # the same but for accents
    MISSING = "missing"  # expected, not typed
    EXTRA = "extra"  # typed, not expected


@dataclass(frozen=True)
class Segment:
    """A run of one kind, as the learner typed it and as the expected text shows it (original
    case and accents; a MISSING segment has no typed text, an EXTRA one no expected text)."""

    kind: Kind
    typed: str
    expected: str


@dataclass(frozen=True)
class Comparison:
    segments: tuple[Segment, ...]
    rating: int  # the suggested grade, a cards.scheduling.Rating value

    @property
    def exact(self) -> bool:
        return self.rating == Rating.GOOD

    @property
    def almost(self) -> bool:
        return self.rating == Rating.HARD

    @property
    def typed(self) -> str:
        return "".join(segment.typed for segment in self.segments)

    @property
    def expected(self) -> str:
        return "".join(segment.expected for segment in self.segments)

    # Each line of the display: its (kind, text) runs.

    @property
    def typed_line(self) -> list[tuple[Kind, str]]:
        return [(s.kind, s.typed) for s in self.segments if s.typed]

    @property
    def expected_line(self) -> list[tuple[Kind, str]]:
        return [(s.kind, s.expected) for s in self.segments if s.expected]


# Grapheme clusters: the rules of UAX #29 that the scripts we teach need — CR LF, controls,
# Extend and SpacingMark (combining marks, ZWJ, ZWNJ, emoji modifiers, tag characters),
# emoji ZWJ sequences and regional indicator pairs. Conjoining Hangul jamo (keyboards type
# precomposed syllables) and the Prepend and Indic conjunct rules are left out: those
# characters count one by one.


def _is_tag(char: str) -> bool:
    return "\U000e0020" <= char <= "\U000e007f"


def _is_skin_tone(char: str) -> bool:
    return "\U0001f3fb" <= char <= "\U0001f3ff"


def _is_regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _is_pictographic(char: str) -> bool:
    # Near enough Extended_Pictographic, which unicodedata lacks: symbols and the emoji planes
    # but for the skin tones and regional indicators.
    if _is_skin_tone(char) or _is_regional(char):
        return False
    return unicodedata.category(char) == "So" or "\U0001f000" <= char <= "\U0001faff"


def _is_control(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("Cc", "Zl", "Zp") or (
        category == "Cf" and char not in (ZWJ, ZWNJ) and not _is_tag(char)
    )


def _extends(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char in (ZWJ, ZWNJ)
        or _is_skin_tone(char)
        or _is_tag(char)
    )


def _joins(cluster: str, char: str) -> bool:
    last = cluster[-1]
    if last == "\r":
        return char == "\n"
    if _is_control(last) or _is_control(char):
        return False
    if _extends(char):
        return True
    if last == ZWJ:
        return _is_pictographic(char) and _joined_by_zwj(cluster)
    return _is_regional(last) and _is_regional(char) and len(cluster) == 1


def _joined_by_zwj(cluster: str) -> bool:
    """Whether the cluster's last ZWJ follows a pictograph and its Extend marks (UAX #29 GB11:
    an emoji ZWJ sequence goes on)."""
    for char in reversed(cluster[:-1]):
        if _is_pictographic(char):
            return True
        if char == ZWJ or unicodedata.category(char) == "Mc" or not _extends(char):
            return False
    return False


def graphemes(text: str) -> list[str]:
    """The text's user-perceived characters, in order; joined they are the text again."""
    clusters: list[str] = []
    for char in text:
        if clusters and _joins(clusters[-1], char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


# Keys: what is compared of each character.


def _ignored(char: str) -> bool:
    # Not every C: an emoji newer than Python's Unicode tables is unassigned (Cn), and counts.
    category = unicodedata.category(char)
    return category[0] in "PZ" or category in ("Cc", "Cf")


def _strict_units(grapheme: str) -> list[str]:
    """The characters this one counts as: casefolded and NFKC ("ß" is "s", "s"), without
    variation selectors; none for white space and punctuation."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", grapheme).casefold())
    bare = "".join(c for c in folded if not _is_vs(c))
    return [unit for unit in graphemes(bare) if not all(_ignored(c) for c in unit)]


def _is_vs(char: str) -> bool:
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


def _loose(unit: str) -> str:
    """The unit without its accents: combining marks and skin tones."""
    decomposed = unicodedata.normalize("NFD", unit)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c) and not _is_skin_tone(c))
    return unicodedata.normalize("NFC", bare)


@dataclass(frozen=True)
class _Unit:
    grapheme: int  # the index of the grapheme it comes from
    strict: str
    loose: str


def _units(clusters: list[str]) -> list[_Unit]:
    return [
        _Unit(index, unit, _loose(unit))
        for index, cluster in enumerate(clusters)
        for unit in _strict_units(cluster)
    ]


_SEVERITY = {Kind.OK: 0, Kind.ALMOST: 1, Kind.MISSING: 2, Kind.EXTRA: 2}


def _grapheme_kinds(units: list[_Unit], kinds: list[Kind], count: int) -> list[Kind]:
    """Each grapheme's kind: the worst of its units' (OK for those without units)."""
    result = [Kind.OK] * count
    for unit, kind in zip(units, kinds, strict=True):
        if _SEVERITY[kind] > _SEVERITY[result[unit.grapheme]]:
            result[unit.grapheme] = kind
    return result


class _Segments:
    """Emits the graphemes of both texts in order, each exactly once, merging runs."""

    def __init__(self, typed: list[str], expected: list[str]) -> None:
        self.sides = (typed, expected)
        self.next = [0, 0]
        self.segments: list[Segment] = []

    def emit(self, kind: Kind, side: int, upto: int) -> None:
        """The graphemes of one side from where it stands through index `upto` - 1."""
        start = self.next[side]
        if upto <= start:
            return
        self.next[side] = upto
        text = "".join(self.sides[side][start:upto])
        typed, expected = (text, "") if side == 0 else ("", text)
        last = self.segments[-1] if self.segments else None
        if last and last.kind == kind:
            self.segments[-1] = Segment(kind, last.typed + typed, last.expected + expected)
        else:
            self.segments.append(Segment(kind, typed, expected))

    def emit_unit(self, side: int, unit: _Unit, kind: Kind) -> None:
        # What lies before the unit's grapheme has no units: white space and punctuation.
        self.emit(Kind.OK, side, unit.grapheme)
        self.emit(kind, side, unit.grapheme + 1)


def compare(typed: str, expected: str) -> Comparison:
    """What of `expected` the learner typed: the segments of both texts and the grade they
    suggest."""
    clusters = (graphemes(typed), graphemes(expected))
    units = (_units(clusters[0]), _units(clusters[1]))
    kinds: tuple[list[Kind], list[Kind]] = (
        [Kind.EXTRA] * len(units[0]),
        [Kind.MISSING] * len(units[1]),
    )
    matcher = SequenceMatcher(
        None, [u.loose for u in units[0]], [u.loose for u in units[1]], autojunk=False
    )
    blocks = matcher.get_matching_blocks()
    for a, b, size in blocks:
        for k in range(size):
            same = units[0][a + k].strict == units[1][b + k].strict
            kinds[0][a + k] = kinds[1][b + k] = Kind.OK if same else Kind.ALMOST
    shown = [_grapheme_kinds(units[side], kinds[side], len(clusters[side])) for side in (0, 1)]
    out = _Segments(*clusters)
    position = [0, 0]  # the next unit of each side

    def emit_through(side: int, unit_end: int) -> None:
        for index in range(position[side], unit_end):
            unit = units[side][index]
            out.emit_unit(side, unit, shown[side][unit.grapheme])
        position[side] = max(position[side], unit_end)

    for a, b, size in blocks:
        # The unmatched units before the block: extra typed ones, then missing expected ones.
        emit_through(0, a)
        emit_through(1, b)
        for k in range(size):
            emit_through(0, a + k + 1)
            emit_through(1, b + k + 1)
    out.emit(Kind.OK, 0, len(clusters[0]))
    out.emit(Kind.OK, 1, len(clusters[1]))
    return Comparison(tuple(out.segments), _rating(kinds[0] + kinds[1]))


def _rating(kinds: list[Kind]) -> int:
    if any(kind in (Kind.MISSING, Kind.EXTRA) for kind in kinds):
        return Rating.AGAIN
    if Kind.ALMOST in kinds:
        return Rating.HARD
    return Rating.GOOD
