"""``manage.py import_accounts --system NAME PATH``: replace a system's accounts with a CSV or JSON file.

The file is validated whole: on any bad row nothing changes, every problem is printed (row and
column) and the command exits with status 1. The system (an asset) is created when missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.models import User
from core.actor import acting
from core.errors import DomainError
from reviews.models import SystemAccountImport
from reviews.services.imports import AccountImportError, import_accounts, parse_file, write_snapshot


class Command(BaseCommand):
    help = "Import a system's accounts (CSV or JSON); the new snapshot replaces the previous one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV (account,email,entitlements,last_sign_in,status) or JSON array.")
        parser.add_argument("--system", required=True, help="The system's name (an asset; created when missing).")
        parser.add_argument("--actor", help="Email of the user the import is made by (audit trail); optional.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        actor = None
        if options.get("actor"):
            actor = User.objects.filter(email__iexact=options["actor"].strip(), is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user with the email {options['actor']}.")
        try:
            with acting(actor, via="command:import_accounts"):
                if actor is not None:
                    snapshot = import_accounts(
                        actor=actor,
                        system=options["system"],
                        data=data,
                        file_name=path.name,
                        source=SystemAccountImport.Source.COMMAND,
                    )
                else:
                    rows = parse_file(data, path.name)
                    snapshot = write_snapshot(
                        system=options["system"],
                        rows=rows,
                        actor=None,
                        source=SystemAccountImport.Source.COMMAND,
                        file_name=path.name,
                    )
        except AccountImportError as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(f"{path.name} was not imported: {len(exc.problems)} problem(s).") from exc
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Imported {snapshot.row_count} accounts into {snapshot.asset.name}.")
