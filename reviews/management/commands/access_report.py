"""``manage.py access_report [--dormant-days N] [--json]``: orphans, leavers, dormant accounts, SoD violations."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reviews.report import access_report
from reviews.selectors import DEFAULT_DORMANT_DAYS


class Command(BaseCommand):
    help = "Report orphan, leaver and dormant accounts and segregation-of-duties violations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dormant-days", type=int, default=DEFAULT_DORMANT_DAYS)
        parser.add_argument("--json", action="store_true", help="One JSON object on standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["dormant_days"]
        if days < 1:
            raise CommandError("--dormant-days must be 1 or more.")
        report = access_report(days)
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
            return
        for key, title in (("orphans", "Orphan accounts"), ("leavers", "Accounts of leavers")):
            self.stdout.write(f"{title}: {len(report[key])}")
            for row in report[key]:
                self.stdout.write(f"  {row['system']}: {row['account']}")
        self.stdout.write(f"Dormant accounts (no sign-in for {days} days): {len(report['dormant'])}")
        for row in report["dormant"]:
            self.stdout.write(f"  {row['system']}: {row['account']} (last sign-in {row['last_sign_in'] or 'never'})")
        self.stdout.write(f"Segregation-of-duties violations: {len(report['sod_violations'])}")
        for row in report["sod_violations"]:
            self.stdout.write(f"  {row['rule']}: {row['person']}")
