"""The one process that owns time: ``manage.py runscheduler`` (``--once`` for a single pass)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobs import scheduler


class Command(BaseCommand):
    help = "Run scheduled jobs and queued runs until SIGTERM/SIGINT (or one pass with --once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Sync schedules, execute queued runs and due scheduled jobs once, then exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            report = scheduler.run_once()
            for job_id in report.sync.invalid:
                self.stderr.write(f"Schedule of {job_id} is not valid; fix it on the jobs page.")
            for run in report.runs:
                self.stdout.write(f"{run.job_id}: {run.get_status_display()} (run #{run.pk})")
            self.stdout.write(f"{len(report.runs)} run(s) executed.")
            return
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        scheduler.run_forever(stop, echo=self.stdout.write)
        self.stdout.write("Scheduler stopped.")
