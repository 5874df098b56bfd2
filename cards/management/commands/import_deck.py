from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from cards.importing import ImportOptions, ImportRefused, deck_import, read_source
from cards.models import Deck


class Command(BaseCommand):
    help = "Import a text file or an Anki package into a learner's deck and print the report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", type=int, required=True, help="the learner's Telegram id")
        parser.add_argument("--deck", help="deck name (created if missing); default: from the file")
        parser.add_argument("--keep-scheduling", action="store_true")
        parser.add_argument("--update", action="store_true", help="update duplicate fronts")
        parser.add_argument("--subdecks-as-decks", action="store_true")

    def handle(
        self,
        *args: Any,
        path: Path,
        user: int,
        deck: str | None,
        keep_scheduling: bool,
        update: bool,
        subdecks_as_decks: bool,
        **kw: Any,
    ) -> None:
        owner = User.objects.filter(telegram_id=user).first()
        if owner is None:
            raise CommandError(f"No learner with Telegram id {user}.")
        try:
            source = read_source(path.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        except ImportRefused as refused:
            raise CommandError(str(refused)) from None
        name = (deck or source.deck_name or path.stem)[:100]
        target = Deck.objects.for_user(owner).filter(name=name).first()
        if target is None:
            target = Deck.objects.create(owner=owner, name=name)
        options = ImportOptions(
            mapping=source.mapping,
            update_duplicates=update,
            keep_scheduling=keep_scheduling,
            subdecks_as_decks=subdecks_as_decks,
        )
        report = deck_import(deck=target, source=source, options=options)
        self.stdout.write(f"Deck: {target.name} (id {target.pk})")
        self.stdout.write(
            f"Added: {report.added}, updated: {report.updated}, skipped: {len(report.skipped)}"
        )
        if report.reviews:
            self.stdout.write(f"Reviews replayed: {report.reviews}")
        if report.media_count:
            self.stdout.write(f"Pictures and sounds: {report.media_count}")
        for name in report.decks_created:
            self.stdout.write(f"New deck: {name}")
        for line, reason in report.skipped:
            self.stdout.write(f"Line {line}: {reason}")
        for line, reason in report.left_out:
            self.stdout.write(f"Line {line} without: {reason}")
