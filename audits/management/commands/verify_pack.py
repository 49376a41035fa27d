"""``manage.py verify_pack PATH [--public-key FILE]``: OK, or every problem found, and a non-zero exit.

The same checks as the ``verify.py`` inside every pack (``audits.packs.verify_pack``).
Without ``--public-key`` the instance's own public keys are tried; a pack is refused when
it was signed by none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audits.packs import verify_pack
from core import signing


class Command(BaseCommand):
    help = "Verify an evidence pack: every file's size and SHA-256, and the Ed25519 signature of the manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The pack (.zip).")
        parser.add_argument("--public-key", help="The organisation's public key (PEM); default: this instance's keys.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        if options["public_key"]:
            try:
                keys = [Path(options["public_key"]).read_bytes()]
            except OSError as exc:
                raise CommandError(f"cannot read the public key: {exc}") from exc
        else:
            keys = [pem.encode() for pem in signing.known_public_keys().values()]
        candidates: list[bytes | None] = list(keys) or [None]
        report = verify_pack(path, candidates[0])
        for pem in candidates[1:]:
            if report.ok:
                break
            report = verify_pack(path, pem)
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise SystemExit(1)
