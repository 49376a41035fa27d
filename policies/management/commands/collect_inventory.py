"""``manage.py collect_inventory [--asset NAME] [--release debian:12]``: inventory the host Rampart runs on.

Runs ``dpkg-query`` (Debian packages) and ``python -m pip inspect`` of Rampart's own environment,
imports each as a current inventory of the asset named after the host (or ``--asset``; created when
missing), then checks the asset. The Debian release comes from ``--release``, else from
``/etc/os-release`` (``ID=debian``), else from the asset. A host without dpkg gets the pip
inventory alone.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.commands import actor_from, add_actor_argument
from core.actor import acting
from core.errors import DomainError
from policies.management.commands.import_inventory import validation_text
from policies.models import Inventory
from policies.services.inventories import import_inventory

DPKG_FORMAT = r"${binary:Package}\t${Version}\t${source:Package}\t${source:Version}\n"
TIMEOUT = 120


def os_release(path: Path = Path("/etc/os-release")) -> str | None:
    """``debian:12`` from ``/etc/os-release`` on Debian; None elsewhere."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    if values.get("ID") != "debian" or not values.get("VERSION_ID"):
        return None
    return f"debian:{values['VERSION_ID'].split('.')[0]}"


def _run(command: list[str]) -> bytes:
    done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)  # noqa: S603
    if done.returncode != 0:
        raise CommandError(f"{' '.join(command[:3])} failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    return done.stdout


class Command(BaseCommand):
    help = "Collect this host's dpkg and pip inventories and import them for the asset named after the host."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--asset", help="The asset's name (default: this host's name).")
        parser.add_argument("--release", help="Debian release, e.g. debian:12 (default: from /etc/os-release).")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        asset = (options["asset"] or socket.gethostname()).strip()
        collected: list[tuple[str, bytes, str | None]] = []
        dpkg = shutil.which("dpkg-query")
        if dpkg is not None:
            release = options["release"] or os_release()
            collected.append(("dpkg", _run([dpkg, "-W", f"-f={DPKG_FORMAT}"]), release))
        else:
            self.stdout.write("note: no dpkg-query on this host; Debian packages not collected")
        collected.append(("pip", _run([sys.executable, "-m", "pip", "inspect", "--local"]), None))
        with acting(actor, via="command:collect_inventory"):
            for number, (format_name, data, release) in enumerate(collected, start=1):
                try:
                    result = import_inventory(
                        actor=actor,
                        asset_name=asset,
                        data=data,
                        format_name=format_name,
                        release=release,
                        filename=f"{format_name} of {socket.gethostname()}",
                        via=Inventory.Via.COLLECT,
                        check=number == len(collected),
                    )
                except ValidationError as exc:
                    raise CommandError(f"{format_name}: {validation_text(exc)}") from exc
                except DomainError as exc:
                    raise CommandError(f"{format_name}: {exc}") from exc
                self.stdout.write(self.style.SUCCESS(f"{format_name}: {result.summary()}"))
