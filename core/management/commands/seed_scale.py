"""Bulk data for benchmarks: ``--factor N`` gives N*100 users, N*20,000 audit-trail
entries, N*200 job runs, and from governance N*1,000 requirements, N*300 controls,
N*2,000 control tests, N*200 risks (N*20 of them accepted), N*100 assets, N*30 compliance
exceptions and N*50 findings (factor 10: the benchmark's sizes).

Seeders top up to their target, so a second run with the same factor adds nothing.
Each seeder runs in its own transaction, under the ``command:seed_scale`` actor.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.actor import acting
from core.management.commands.seed_demo import format_table, refuse_without_debug
from core.seeding import SeedContext, scale_seeders


class Command(BaseCommand):
    help = (
        "Create bulk data for benchmarks: N*100 users, N*20,000 audit-trail entries, N*200 job runs, "
        "N*1,000 requirements, N*300 controls, N*2,000 control tests, N*200 risks, N*100 assets, "
        "N*30 exceptions, N*50 findings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--factor", type=int, default=1, help="Size multiplier (1 to 1000).")
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug("seed_scale", options["force"])
        factor = options["factor"]
        if not 1 <= factor <= 1000:
            raise CommandError("--factor must be between 1 and 1000.")
        ctx = SeedContext(write=self.stdout.write, factor=factor, via="command:seed_scale")
        rows: list[list[str]] = []
        began = time.monotonic()
        for seeder in scale_seeders():
            before = dict(ctx.created)
            start = time.monotonic()
            with transaction.atomic(), acting(None, via=ctx.via, factor=factor):
                seeder.func(ctx)
            seconds = time.monotonic() - start
            for label, count in ctx.created.items():
                if label not in before or before[label] != count:
                    rows.append([label, str(count - before.get(label, 0)), f"{seconds:.2f}s", seeder.name])
        self.stdout.write(format_table(["created", "count", "time", "seeder"], rows))
        total = time.monotonic() - began
        self.stdout.write(self.style.SUCCESS(f"Scale data (factor {factor}) ready in {total:.1f}s."))
