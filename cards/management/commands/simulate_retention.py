from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from cards.models import RetentionSimulation
from cards.retention import latest_simulation, run_simulation, start_simulation


class Command(BaseCommand):
    help = (
        "Run a learner's retention helper now, in this process (the Settings button runs the "
        "same simulation in the worker), and print its figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("telegram_id", type=int)

    def handle(self, *args: Any, telegram_id: int, **options: Any) -> None:
        user = User.objects.filter(telegram_id=telegram_id).first()
        if user is None:
            raise CommandError(f"No learner with Telegram id {telegram_id}.")
        # With the database backend the enqueued task waits for a worker: run it here.
        run_simulation(start_simulation(user).pk)
        job = latest_simulation(user)
        assert job is not None
        if job.is_active:
            raise CommandError("A simulation of this learner is already running.")
        if job.status == RetentionSimulation.Status.FAILED:
            raise CommandError(f"The simulation failed ({job.error}).")
        if not job.cards:
            self.stdout.write("No cards to simulate.")
            return
        self.stdout.write(
            f"{job.cards} cards, {job.new_per_day} new and {job.reviews_per_day} reviews a day, "
            f"{job.timed_reviews} timed reviews; desired retention {job.desired_retention}."
        )
        for row in job.results:
            self.stdout.write(
                f"{row['retention']:.2f}: {row['reviews']:.1f} reviews and "
                f"{row['minutes']:.1f} minutes a day, {row['knowledge']:.0f} cards remembered"
            )
        self.stdout.write(f"Suggested: {job.suggested:.2f}")
