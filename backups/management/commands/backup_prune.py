"""``manage.py backup_prune [PLAN] [--dry-run]``: apply the plans' retention (daily, weekly, monthly).

Decided from each set's signed manifest; the newest verified set is always kept. ``--dry-run``
prints what would go and why the rest stays, and deletes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.models import BackupPlan
from backups.services.errors import BackupError
from backups.services.retention import apply_retention
from core.actor import acting


class Command(BaseCommand):
    help = "Delete backup sets the retention rules do not keep (--dry-run: only say which)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("plan", nargs="?", help="A plan name (default: every active plan).")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be deleted; delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        plans = BackupPlan.objects.filter(active=True).order_by("name")
        if options["plan"]:
            plans = BackupPlan.objects.filter(name=options["plan"])
            if not plans.exists():
                raise CommandError(f"There is no backup plan named {options['plan']!r}.")
        with acting(None, via="command:backup_prune"):
            for plan in plans:
                try:
                    report = apply_retention(plan=plan, actor=None, dry_run=options["dry_run"])
                except BackupError as exc:
                    raise CommandError(str(exc)) from exc
                for line in report.lines():
                    self.stdout.write(line)
