"""``manage.py load_library [--actor EMAIL]``: import the frameworks shipped in governance/library/."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from access.commands import add_actor_argument
from governance.management.commands.import_framework import Command as ImportCommand


class Command(ImportCommand):
    help = "Import (or update) the frameworks shipped with Rampart."
    via = "command:load_library"

    def add_arguments(self, parser: CommandParser) -> None:
        add_actor_argument(parser)
        parser.add_argument(
            "--allow-older",
            action="store_true",
            help="Confirm that a shipped file older than the imported one replaces it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, path=None, library=True, format=None, key=None, **options)
