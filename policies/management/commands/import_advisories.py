"""``manage.py import_advisories PATH``: import OSV advisories (a zip or a folder) or Debian's tracker JSON.

Incremental: records not newer than the stored ones are skipped. A malformed record refuses the
whole import (file and JSON path named; exit status 1) unless ``--skip-invalid`` is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.commands import actor_from, add_actor_argument
from core.actor import acting
from core.errors import DomainError
from policies.services.advisories import AdvisoryImportError, import_advisories


class Command(BaseCommand):
    help = "Import advisories: an OSV ecosystem zip or folder of OSV JSON files, or the Debian security tracker JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="OSV all.zip, a folder of OSV *.json (and zips), or the tracker's JSON.")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the valid records and list the malformed ones."
        )
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        with acting(actor, via="command:import_advisories"):
            try:
                report = import_advisories(
                    actor=actor, path=Path(options["path"]), skip_invalid=options["skip_invalid"]
                )
            except AdvisoryImportError as exc:
                for error in exc.errors:
                    self.stderr.write(error)
                raise CommandError(
                    str(exc) if not exc.errors else f"{len(exc.errors)} malformed record(s); nothing was imported."
                ) from exc
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        for skipped in report.skipped:
            self.stderr.write(f"skipped: {skipped}")
        self.stdout.write(self.style.SUCCESS(report.summary()))
