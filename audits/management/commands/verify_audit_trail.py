"""``manage.py verify_audit_trail``: check the audit trail's hash chain.

Prints ``OK: N entries verified`` and exits 0, or names the first broken entry
(``BROKEN at entry #seq (id X): reason``) and exits 1. Both go to stdout, so a cron
mail or a script reads one stream.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audits.chain import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's SHA-256 hash chain and report the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Entries read from the database at a time (memory use stays bounded).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1.")
            raise SystemExit(2)
        result = verify_chain(batch_size=batch_size)
        if result.ok:
            self.stdout.write(self.style.SUCCESS(result.summary()))
            return
        self.stdout.write(self.style.ERROR(result.summary()))
        raise SystemExit(1)
