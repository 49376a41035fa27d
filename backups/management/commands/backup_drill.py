"""``manage.py backup_drill [--identity FILE]``: run a restore drill now (as the weekly job does)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.services.drills import run_drill
from core.actor import acting


class Command(BaseCommand):
    help = "Restore the newest verified set into a scratch database and folder, check it and record the result."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--identity", metavar="FILE", help="Default: settings.RAMPART_DRILL_IDENTITY_FILE.")

    def handle(self, *args: Any, **options: Any) -> None:
        identity = Path(options["identity"]) if options["identity"] else None
        with acting(None, via="command:backup_drill"):
            drill = run_drill(identity_file=identity)
        if drill is None:
            self.stdout.write("No backup set yet; nothing to drill.")
            return
        for check in drill.checks:
            self.stdout.write(f"{'OK' if check['ok'] else 'FAILED'} {check['name']}: {check['detail']}")
        self.stdout.write(f"Drill {drill.result} in {drill.duration_seconds:.1f} s: {drill.summary}")
        if drill.result != drill.Result.PASSED:
            raise CommandError("The restore drill failed.")
