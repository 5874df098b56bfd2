from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cards.exporting import DECK_FORMATS
from cards.models import Deck


class Command(BaseCommand):
    help = "Export a deck as CSV (spreadsheets), as Anki's text format or as an Anki package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("deck_id", type=int)
        parser.add_argument("--format", choices=list(DECK_FORMATS), default="csv")
        parser.add_argument("-o", "--output", type=Path, required=True)

    def handle(self, *args: Any, deck_id: int, format: str, output: Path, **options: Any) -> None:
        deck = Deck.objects.filter(pk=deck_id).first()
        if deck is None:
            raise CommandError(f"No deck with id {deck_id}.")
        _content_type, _extension, write = DECK_FORMATS[format]
        with output.open("wb") as out:
            write(deck, out)
        self.stdout.write(f"Exported “{deck.name}” ({deck.cards.count()} cards) to {output}")
