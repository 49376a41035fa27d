"""``manage.py restore SET --identity FILE [--target-database URL] [--target-dir DIR] [--force]``.

Without targets, the set is restored into a new scratch database (a SQLite file under
``var/restore/``, or a new PostgreSQL database next to the live one) and a new scratch folder,
whose names are printed. Restoring over the live database or the live stored files needs
``--force``, and a fresh backup of the same plan is taken first. A set made on another
database vendor is refused.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.age import AgeError, load_identities
from backups.models import BackupPlan, BackupSet
from backups.services.errors import BackupError
from backups.services.restore import locate_set, restore_set
from backups.services.runs import run_backup
from core.actor import acting


class Command(BaseCommand):
    help = "Restore a backup set into a scratch database and folder (or, with --force, over the live data)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("set", help="A set id, or the path of a set's folder.")
        parser.add_argument("--identity", metavar="FILE", required=True, help="The age identity file (private key).")
        parser.add_argument("--target-database", metavar="URL", help="sqlite:////path/file.sqlite3 or postgres://...")
        parser.add_argument("--target-dir", metavar="DIR", help="Where the stored files go.")
        parser.add_argument(
            "--force", action="store_true", help="Allow restoring over the live data (backed up first)."
        )

    def _backup_first(self, plan: BackupPlan | None) -> str:
        backup_set = run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.BEFORE_RESTORE)
        if not backup_set.verify_ok:
            raise BackupError(f"The fresh backup {backup_set.set_id} does not verify; nothing was restored.")
        self.stdout.write(f"backed up the live data first: set {backup_set.set_id}")
        return backup_set.set_id

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            identities = load_identities(options["identity"])
        except (OSError, AgeError) as exc:
            raise CommandError(f"--identity {options['identity']}: {exc}") from exc
        try:
            with acting(None, via="command:restore"):
                report = restore_set(
                    located=locate_set(options["set"]),
                    identities=identities,
                    target_database=options["target_database"],
                    target_dir=options["target_dir"],
                    force=options["force"],
                    before_overwrite=self._backup_first,
                )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            if not line.startswith("backed up the live data first"):
                self.stdout.write(line)
