"""Typing the answer: the comparison with the expected text (what was right, missing, extra,
almost), the grade it suggests, and its template partial."""

import re
import unicodedata

import pytest
import regex
from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from cards.answer_check import Comparison, Kind, Segment, compare, graphemes
from cards.scheduling import Rating

OK, ALMOST, MISSING, EXTRA = Kind.OK, Kind.ALMOST, Kind.MISSING, Kind.EXTRA

LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "áéíóúüñÁÉÍÓÚÜÑàèçôœßÄÖ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙЯ"
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويأإآةى"
)
MARKS = "\u0300\u0301\u0303\u0308\u064b\u064e\u064f\u0650\u0651\u0652"
EMOJI = [
    "👍",
    "👍🏽",
    "❤️",
    "👨\u200d👩\u200d👧",
    "🇪🇸",
    "🇫🇷",
    "🙂",
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
]
SEPARATORS = [" ", "  ", "\t", "\n", ", ", "!", "¿", "?", "¡", "...", " - ", "«", "»", "؟", "،"]

letters = st.builds(
    lambda base, marks: base + "".join(marks),
    st.sampled_from(LETTERS),
    st.lists(st.sampled_from(MARKS), max_size=2),
)
words = st.lists(st.one_of(letters, st.sampled_from(EMOJI)), min_size=1, max_size=8).map("".join)
phrases = st.lists(words, min_size=1, max_size=5)


def spelled(phrase: list[str], separators: list[str]) -> str:
    """The words of a phrase, separated by what the list gives, in turn."""
    return "".join(word + separators[i % len(separators)] for i, word in enumerate(phrase))


def kinds(comparison: Comparison) -> set[Kind]:
    return {segment.kind for segment in comparison.segments}


def test_it_shows_the_accents_of_donde_esta_and_suggests_hard():
    comparison = compare("Donde esta", "¿Dónde está?")
    assert comparison.segments == (
        Segment(OK, "D", "¿D"),
        Segment(ALMOST, "o", "ó"),
        Segment(OK, "nde est", "nde est"),
        Segment(ALMOST, "a", "á"),
        Segment(OK, "", "?"),
    )
    assert comparison.rating == Rating.HARD


@pytest.mark.parametrize(
    ("typed", "expected", "rating"),
    [
        ("dónde está", "¿Dónde está?", Rating.GOOD),
        ("¿DÓNDE  ESTÁ?", "¿Dónde está?", Rating.GOOD),
        ("Donde   está!!", "¿Dónde está?", Rating.HARD),
        ("Donde es", "¿Dónde está?", Rating.AGAIN),
        ("Donde esta aqui", "¿Dónde está?", Rating.AGAIN),
        ("do\u0301nde", "dónde", Rating.GOOD),  # NFD typed, NFC expected
        ("STRASSE", "Straße", Rating.GOOD),  # casefolded
        ("ﬁn", "fin", Rating.GOOD),  # a ligature is its letters
        ("Ｈola", "hola", Rating.GOOD),  # full-width
        ("ano", "año", Rating.HARD),
        ("ежик", "Ёжик", Rating.HARD),
        ("мои", "мой", Rating.HARD),  # й is и with a breve: an accent (documented)
        ("Где туалет", "Где туалет?", Rating.GOOD),
        ("где туолет", "Где туалет?", Rating.AGAIN),
        ("كتاب", "كِتَابٌ", Rating.HARD),  # the harakat are accents
        ("اين", "أين؟", Rating.HARD),  # hamza on alef; Arabic punctuation does not count
        ("\u200fأين", "أين", Rating.GOOD),  # a bidi mark does not count
        ("كتب", "كتاب", Rating.AGAIN),
        ("❤", "❤️", Rating.GOOD),  # a variation selector does not count
        ("👍", "👍🏽", Rating.HARD),  # a skin tone is an accent
        ("🇪🇸", "🇫🇷", Rating.AGAIN),
        ("", "\U0001fae8", Rating.AGAIN),  # an emoji newer than Python's Unicode tables
        ("", "", Rating.GOOD),
        ("", "?", Rating.GOOD),
        ("", "hola", Rating.AGAIN),
    ],
)
def test_it_suggests_good_when_exact_hard_for_accents_and_again_otherwise(typed, expected, rating):
    assert compare(typed, expected).rating == rating


def test_it_shows_a_wrong_letter_as_extra_and_the_right_one_as_missing():
    assert compare("casa", "cosa").segments == (
        Segment(OK, "c", "c"),
        Segment(EXTRA, "a", ""),
        Segment(MISSING, "", "o"),
        Segment(OK, "sa", "sa"),
    )


def test_it_shows_an_empty_answer_as_everything_missing():
    comparison = compare("", "¿Dónde está?")
    assert [s.expected for s in comparison.segments if s.kind == MISSING] == ["Dónde", "está"]
    assert comparison.rating == Rating.AGAIN


def test_it_keeps_an_emoji_sequence_and_a_flag_whole():
    family, other_family = "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👦"
    assert compare(f"{family}🇪🇸", f"{other_family}🇪🇸").segments == (
        Segment(EXTRA, family, ""),
        Segment(MISSING, "", other_family),
        Segment(OK, "🇪🇸", "🇪🇸"),
    )


def test_it_shows_arabic_harakat_as_almost_on_the_letters_that_carry_them():
    assert compare("كتاب", "كِتَابٌ").segments == (
        Segment(ALMOST, "كت", "كِتَ"),
        Segment(OK, "ا", "ا"),
        Segment(ALMOST, "ب", "بٌ"),
    )


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("e\u0301a", ["e\u0301", "a"]),
        ("👍🏽!", ["👍🏽", "!"]),
        ("❤️", ["❤️"]),
        ("👨\u200d👩\u200d👧", ["👨\u200d👩\u200d👧"]),
        ("🇪🇸🇫🇷🇩", ["🇪🇸", "🇫🇷", "🇩"]),
        ("a\r\nb", ["a", "\r\n", "b"]),
        ("كِتَ", ["كِ", "تَ"]),
        ("ёж", ["ё", "ж"]),
        ("👍\u200d\u200d👍", ["👍\u200d\u200d", "👍"]),  # found by the test below
        ("a\u200d👍", ["a\u200d", "👍"]),
        ("\U0001f3fd\u200d👍", ["\U0001f3fd\u200d", "👍"]),  # a skin tone is no pictograph
    ],
)
def test_it_splits_text_into_user_perceived_characters(text, clusters):
    assert graphemes(text) == clusters


# The splitter agrees with the regex package's \X (UAX #29) on what our scripts use.
SPLITTER_ALPHABET = st.sampled_from(
    list("aeoñе\u0301\u0308\u0303ёйжكتاب\u064e\u064f\u0651 \r\n\t?¿!")
    + ["\u200d", "\u200c", "\u200f", "\ufe0f", "👍", "👨", "👩", "❤", "\U0001f3fd", "🙂"]
    + ["\U0001f1ea", "\U0001f1f8", "\U0001f1eb", "🏴", "\U000e0067", "\U000e007f"]
)


@given(st.lists(SPLITTER_ALPHABET, max_size=30).map("".join))
def test_it_splits_as_unicode_s_extended_grapheme_clusters_do(text):
    assert graphemes(text) == regex.findall(r"\X", text)


@given(st.text())
def test_it_splits_any_text_into_pieces_that_join_back_into_it(text):
    assert "".join(graphemes(text)) == text


@given(st.text())
def test_it_finds_any_text_exact_against_itself(text):
    comparison = compare(text, text)
    assert comparison.rating == Rating.GOOD
    assert kinds(comparison) <= {OK}


@given(st.text(), st.text())
def test_it_rebuilds_both_texts_from_the_segments_of_any_comparison(typed, expected):
    comparison = compare(typed, expected)
    assert comparison.typed == typed
    assert comparison.expected == expected
    for segment in comparison.segments:
        assert segment.typed or segment.expected
        assert not (segment.kind == MISSING and segment.typed)
        assert not (segment.kind == EXTRA and segment.expected)
    for before, after in zip(comparison.segments, comparison.segments[1:], strict=False):
        assert before.kind != after.kind  # runs are merged


@given(phrases, st.sampled_from([str.upper, str.lower, str.swapcase, str.title]))
def test_it_finds_the_phrase_in_another_case_exact(phrase, case):
    text = spelled(phrase, [" "])
    assert compare(case(text), text).rating == Rating.GOOD


@given(phrases, st.lists(st.sampled_from(SEPARATORS), min_size=1), st.sampled_from(SEPARATORS))
def test_it_finds_the_phrase_with_other_spacing_and_punctuation_exact(phrase, typed_by, mark):
    expected = mark + spelled(phrase, [" "])
    assert compare(spelled(phrase, typed_by), expected).rating == Rating.GOOD


@given(phrases)
def test_it_finds_the_phrase_without_its_accents_almost(phrase):
    text = spelled(phrase, [" "])
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    comparison = compare(bare, text)
    assert kinds(comparison) <= {OK, ALMOST}
    assert comparison.rating == (Rating.HARD if bare != decomposed else Rating.GOOD)


@given(phrases, words)
def test_it_finds_an_added_word_extra(phrase, word):
    text = spelled(phrase, [" "])
    comparison = compare(f"{text} {word}", text)
    assert comparison.rating == Rating.AGAIN
    assert EXTRA in kinds(comparison)


@given(phrases)
def test_it_finds_an_empty_answer_missing_everything(phrase):
    comparison = compare("", spelled(phrase, [" "]))
    assert comparison.rating == Rating.AGAIN
    assert kinds(comparison) <= {OK, MISSING}
    assert [s.expected for s in comparison.segments if s.kind == MISSING] == phrase


def render(typed: str, expected: str, lang: str = "es") -> str:
    context = {"comparison": compare(typed, expected), "lang": lang}
    return render_to_string("cards/answer_check.html#comparison", context)


LINE = re.compile(r'<dd class="typed-line" dir="auto"[^>]*\s*>(.*?)</dd>', re.S)
RUN = re.compile(r'<span class="(\w+)">(.*?)</span>')


def line(html: str, index: int) -> list[tuple[str, str]]:
    """The runs of one line of the comparison, and nothing between them."""
    runs = LINE.findall(html)[index]
    assert RUN.sub("", runs) == ""
    return RUN.findall(runs)


def test_its_partial_marks_the_accents_in_both_lines():
    html = render("Donde esta", "¿Dónde está?")
    assert line(html, 0) == [("ok", "D"), ("almost", "o"), ("ok", "nde est"), ("almost", "a")]
    assert line(html, 1) == [
        ("ok", "¿D"),
        ("almost", "ó"),
        ("ok", "nde est"),
        ("almost", "á"),
        ("ok", "?"),
    ]
    assert 'data-typed-check="2"' in html


def test_its_partial_strikes_what_is_extra_and_underlines_what_is_missing():
    html = render("casa", "cosa")
    assert line(html, 0) == [("ok", "c"), ("extra", "a"), ("ok", "sa")]
    assert line(html, 1) == [("ok", "c"), ("missing", "o"), ("ok", "sa")]


def test_its_partial_shows_only_the_answer_when_it_is_exact():
    html = render("dónde ESTÁ", "¿Dónde está?")
    assert "You typed" not in html
    assert html.count('class="typed-line"') == 1


def test_its_partial_says_nothing_was_typed():
    html = render("", "hola")
    assert '<dd class="hint">nothing</dd>' in html
    assert line(html, 0) == [("missing", "hola")]


def test_its_partial_escapes_what_the_learner_typed_and_the_card_holds():
    html = render("<b>x</b>", "<i>x</i>")
    assert "<b>" not in html
    assert "<i>" not in html
    assert html.count("&lt;") == 4


def test_its_partial_sets_the_direction_for_arabic():
    html = render("كتاب", "كِتَابٌ", lang="ar")
    assert html.count('dir="auto" lang="ar"') == 2
    assert line(html, 1) == [("almost", "كِتَ"), ("ok", "ا"), ("almost", "بٌ")]
