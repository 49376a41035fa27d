"""Demo content: one persona per role, then whatever each app's ``seed.py`` adds.

Idempotent: a second run creates nothing and prints the same sign-ins. Refuses to
touch a database of a production deployment (``DEBUG`` off) unless ``--force``.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.actor import acting
from core.seeding import SeedContext, SignIn, demo_seeders


def refuse_without_debug(command: str, force: bool) -> None:
    if not settings.DEBUG and not force:
        raise CommandError(
            f"{command} writes made-up data and is meant for development: DEBUG is off, so this looks "
            "like a real deployment. Set RAMPART_DEBUG=1, or pass --force if you really mean it."
        )


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def sign_in_table(sign_ins: list[SignIn]) -> str:
    rows = [[s.email, s.password, s.role, s.note] for s in sign_ins]
    return format_table(["email", "password", "role", "note"], rows)


class Command(BaseCommand):
    help = "Create demo data: one user per role and each app's demo content. Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_without_debug("seed_demo", options["force"])
        ctx = SeedContext(write=self.stdout.write, via="command:seed_demo")
        began = time.monotonic()
        with transaction.atomic(), acting(None, via=ctx.via):
            for seeder in demo_seeders():
                seeder.func(ctx)
        elapsed = time.monotonic() - began
        made = ", ".join(f"{count} {label}" for label, count in sorted(ctx.created.items()) if count)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f}s: {made or 'nothing new'}."))
        if ctx.sign_ins:
            self.stdout.write("\nSign in at /accounts/login/ with:\n")
            self.stdout.write(sign_in_table(ctx.sign_ins))
        if any(s.note for s in ctx.sign_ins):
            self.stdout.write(
                "\nAdministrators and IT administrators must use a second factor: at their first "
                "sign-in they enrol an authenticator app (TOTP) before they reach anything else."
            )
        for note in ctx.notes:
            self.stdout.write(note)
