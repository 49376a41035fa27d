"""``manage.py verify_audit_trail``: check the audit trail's hash chain and its checkpoints.

Prints ``OK: N entries verified`` and exits 0, or names the first broken entry
(``BROKEN at entry #seq (id X): reason``) and exits 1. Everything goes to stdout, so
a cron mail or a script reads one stream.

The chain is checked against the signed checkpoints this system holds (its
checkpoint file) and, with ``--checkpoints PATH``, against those in PATH: a
checkpoint file, an evidence pack, a backup manifest, or a folder of them. A
checkpoint whose entry no longer has the signed hash (a rewrite, even one that
re-hashed every later entry) is reported ``CONTRADICTED``; one whose signature does
not verify is ``REFUSED``. Either exits 1.

By default only the entries after the newest checkpoint that still matches are read
(incremental); ``--full`` reads the whole chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from audits.checkpoints import read_checkpoints, verify_trail
from core import signing


class Command(BaseCommand):
    help = "Verify the audit trail's SHA-256 hash chain (and signed checkpoints); report the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            metavar="PATH",
            action="append",
            default=[],
            help="A checkpoint file, evidence pack, backup manifest, or a folder of them (may be repeated).",
        )
        parser.add_argument(
            "--full", action="store_true", help="Read the whole chain, not only what follows the newest checkpoint."
        )
        parser.add_argument(
            "--public-key",
            metavar="PEM",
            action="append",
            default=[],
            help="Trust only this public key file for checkpoint signatures (may be repeated); "
            "default: the keys this instance knows.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Entries read from the database at a time (memory use stays bounded).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = options["batch_size"]
        if batch_size < 1:
            self._usage("--batch-size must be at least 1.")
        trusted = self._trusted_keys(options["public_key"]) if options["public_key"] else None
        extra = None
        for path in options["checkpoints"]:
            if not Path(path).exists():
                self._usage(f"--checkpoints {path}: no such file or folder.")
            found = read_checkpoints(path)
            if extra is None:
                extra = found
            else:
                extra.extend(found)
        report = verify_trail(extra=extra, full=options["full"], trusted_public_keys=trusted, batch_size=batch_size)
        first, *rest = report.lines()
        self.stdout.write((self.style.SUCCESS if report.chain.ok else self.style.ERROR)(first))
        for line in rest:
            self.stdout.write(line if line.startswith(("OK", "Checkpoints:")) else self.style.ERROR(line))
        if not report.ok:
            raise SystemExit(1)

    def _trusted_keys(self, paths: list[str]) -> dict[str, str]:
        keys: dict[str, str] = {}
        for path in paths:
            try:
                key = signing.load_public_key(Path(path).read_bytes())
            except (OSError, signing.SigningKeyError) as exc:
                self._usage(f"--public-key {path}: {exc}")
            keys[signing.key_id_of(key)] = Path(path).read_text()
        return keys

    def _usage(self, message: str) -> NoReturn:
        self.stderr.write(message)
        raise SystemExit(2)
