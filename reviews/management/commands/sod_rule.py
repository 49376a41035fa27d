"""``manage.py sod_rule add NAME --first SYSTEM:ENTITLEMENT --second SYSTEM:ENTITLEMENT``, ``list``, ``remove NAME``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.actor import acting
from core.errors import DomainError
from reviews.models import SodRule
from reviews.services.sod import write_rule


class Command(BaseCommand):
    help = "Add, list or remove segregation-of-duties rules."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a rule.")
        add.add_argument("name")
        add.add_argument("--first", required=True, help="SYSTEM:ENTITLEMENT (Rampart:ROLE for Rampart's roles).")
        add.add_argument("--second", required=True, help="SYSTEM:ENTITLEMENT.")
        add.add_argument("--description", default="")
        sub.add_parser("list", help="List the rules.")
        remove = sub.add_parser("remove", help="Remove a rule.")
        remove.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        with acting(None, via="command:sod_rule"):
            if action == "add":
                try:
                    rule = write_rule(
                        name=options["name"],
                        first=options["first"],
                        second=options["second"],
                        description=options["description"],
                    )
                except DomainError as exc:
                    raise CommandError(str(exc)) from exc
                self.stdout.write(f"Added rule {rule.name}: {rule.first} / {rule.second}")
            elif action == "list":
                for rule in SodRule.objects.order_by("name"):
                    self.stdout.write(f"{rule.name}\t{rule.first}\t{rule.second}")
            else:
                found = SodRule.objects.filter(name__iexact=options["name"].strip()).first()
                if found is None:
                    raise CommandError(f"No rule is called {options['name']}.")
                found.delete()
                self.stdout.write(f"Removed rule {found.name}")
