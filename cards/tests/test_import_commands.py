"""The import_deck and export_deck management commands."""

import pytest
from django.core.management import CommandError, call_command

from cards.models import Card, Deck
from conftest import make_card


def test_import_deck_prints_the_report(tmp_path, alice, capsys):
    path = tmp_path / "words.tsv"
    path.write_text("hola\thello\nperro\t\nhola\tagain\n")
    call_command("import_deck", str(path), "--user", "111")
    out = capsys.readouterr().out
    deck = Deck.objects.get(owner=alice, name="words")
    assert f"Deck: words (id {deck.pk})" in out
    assert "Added: 1, updated: 0, skipped: 2" in out
    assert "Line 2: the back is empty" in out
    assert "Line 3: the same front as line 1" in out


def test_import_deck_into_a_named_deck_with_updates(tmp_path, alice, capsys):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    make_card(deck=deck, front="hola", back="hi")
    path = tmp_path / "words.csv"
    path.write_text("front,back\nhola,hello\n")
    call_command("import_deck", str(path), "--user", "111", "--deck", "Spanish", "--update")
    assert "Added: 0, updated: 1, skipped: 0" in capsys.readouterr().out
    assert deck.phrases.get().back == "hello"


@pytest.mark.parametrize(
    ("content", "user", "message"),
    [(b"", "111", "The file is empty."), (b"a\tb", "999", "No learner with Telegram id 999.")],
)
def test_import_deck_fails_clearly(tmp_path, alice, content, user, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_deck", str(path), "--user", user)
    assert not Card.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "apkg"])
def test_export_deck_round_trips_through_import_deck(tmp_path, alice, fmt, capsys):
    deck = Deck.objects.create(owner=alice, name="Spanish")
    make_card(deck=deck, front="=hola", back="hello\nthere", tags="greeting")
    path = tmp_path / f"out.{fmt}"
    call_command("export_deck", str(deck.pk), "--format", fmt, "-o", str(path))
    assert f"Exported “Spanish” (1 cards) to {path}" in capsys.readouterr().out
    call_command("import_deck", str(path), "--user", "111", "--deck", "Copy")
    copy = Deck.objects.get(name="Copy")
    assert list(copy.phrases.values_list("front", "back", "tags")) == [
        ("=hola", "hello\nthere", "greeting")
    ]
