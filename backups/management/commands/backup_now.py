"""``manage.py backup_now [PLAN]``: back up now, in the foreground.

Without PLAN: the database and the stored files, to the local backup folder, for every active
recipient. The first line printed is ``set <ID>``; then one line per file written, with its
path (the manifest, written last, is the last line). The verification that follows every backup
is reported on stderr; the exit code is 1 when the backup failed or does not verify.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.models import BackupPlan, BackupSet
from backups.services.errors import BackupError
from backups.services.runs import RunReporter, run_backup
from core.actor import acting


class Command(BaseCommand):
    help = "Back up now: a plan by name, or (without one) the database and stored files to the local folder."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan", nargs="?", help="The name of a backup plan.")

    def _line(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        plan = None
        if options["plan"]:
            plan = BackupPlan.objects.filter(name=options["plan"]).first()
            if plan is None:
                names = ", ".join(BackupPlan.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"There is no backup plan named {options['plan']!r} (plans: {names}).")
        reporter = RunReporter(on_set=lambda set_id: self._line(f"set {set_id}"), on_file=self._line)
        try:
            with acting(None, via="command:backup_now"):
                backup_set = run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND, reporter=reporter)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(backup_set.verify_detail)
        if not backup_set.verify_ok:
            raise CommandError(f"Set {backup_set.set_id} was written but does not verify.")
