"""``manage.py import_inventory --asset NAME PATH [--format pip|dpkg|npm|cyclonedx] [--release debian:12]``.

Imports the inventory as the asset's current one (the asset is created when missing), then checks
the asset against the stored advisories. A malformed inventory is refused whole, naming the line
or JSON path (exit status 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.commands import actor_from, add_actor_argument
from core.actor import acting
from core.errors import DomainError
from policies.models import Inventory
from policies.patching.inventories import FORMATS
from policies.services.inventories import import_inventory


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Import a software inventory (dpkg-query, pip inspect/freeze, package-lock.json, CycloneDX) for an asset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The inventory file ('-' reads standard input).")
        parser.add_argument("--asset", required=True, help="The asset's name (created when missing).")
        parser.add_argument("--format", choices=FORMATS, help="Default: detected from the content.")
        parser.add_argument("--release", help="Debian release, e.g. debian:12 (default: the asset's).")
        parser.add_argument("--scope", default="", help="What part of the asset it covers (default: the format).")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        path = options["path"]
        try:
            data = self.stdin_bytes() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        with acting(actor, via="command:import_inventory"):
            try:
                result = import_inventory(
                    actor=actor,
                    asset_name=options["asset"],
                    data=data,
                    format_name=options["format"],
                    release=options["release"],
                    scope=options["scope"],
                    filename="<stdin>" if path == "-" else Path(path).name,
                    via=Inventory.Via.COMMAND,
                )
            except ValidationError as exc:
                raise CommandError(validation_text(exc)) from exc
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        for note in result.inventory.notes:
            self.stdout.write(f"note: {note}")
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def stdin_bytes(self) -> bytes:
        import sys

        return sys.stdin.buffer.read()
