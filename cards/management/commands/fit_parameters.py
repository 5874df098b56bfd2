from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from cards.models import ParameterFit
from cards.parameter_jobs import run_fit, start_fit


class Command(BaseCommand):
    help = (
        "Fit a learner's FSRS parameters now, in this process (the Settings button and the "
        "hourly check run the same fit in the worker), and say what it found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("telegram_id", type=int)

    def handle(self, *args: Any, telegram_id: int, **options: Any) -> None:
        user = User.objects.filter(telegram_id=telegram_id).first()
        if user is None:
            raise CommandError(f"No learner with Telegram id {telegram_id}.")
        # With the database backend the enqueued task waits for a worker: run it here.
        run_fit(start_fit(user).pk)
        fit = ParameterFit.objects.filter(owner=user).latest("created")
        if fit.is_active:
            raise CommandError("A fit of this learner is already running.")
        if fit.status == ParameterFit.Status.FAILED:
            raise CommandError(f"The fit failed: {fit.error}")
        if not fit.parameters:
            self.stdout.write(f"Not enough history: {fit.reviews} reviews on different days.")
            return
        verdict = "adopted" if fit.adopted else "kept the current parameters"
        self.stdout.write(
            f"{fit.reviews} reviews; log loss {fit.log_loss:.4f} (current "
            f"{fit.current_log_loss:.4f}), RMSE {fit.rmse:.4f} (current "
            f"{fit.current_rmse:.4f}): {verdict}."
        )
