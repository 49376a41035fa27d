"""``manage.py backup_verify [SET] [--identity FILE]``: check sets where they are stored.

Each set's manifest signature, then every file's size and SHA-256; with ``--identity``, every
file is decrypted too (each chunk authenticated, plaintext size and SHA-256 compared, archives
read to the end). SET is a set id or a set's folder; without it, every complete set in the
history. Prints ``OK set ...`` or ``FAILED set ...: reasons`` per set; exits 1 if any failed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.age import AgeError, load_identities
from backups.destinations import DestinationError, open_destination
from backups.models import BackupSet
from backups.services.errors import BackupError
from backups.services.restore import LocatedSet, locate_set
from backups.services.verification import record_verification, verify_files
from core.actor import acting


class Command(BaseCommand):
    help = "Verify backup sets: signature, sizes and hashes; with --identity, a full decryption."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "set", nargs="?", help="A set id or the path of a set's folder (default: every complete set)."
        )
        parser.add_argument("--identity", metavar="FILE", help="An age identity file, to decrypt every file too.")

    def _targets(self, reference: str | None) -> list[LocatedSet]:
        if reference:
            try:
                return [locate_set(reference)]
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
        located = []
        for row in BackupSet.objects.filter(status=BackupSet.Status.COMPLETE).order_by("started_at"):
            try:
                located.append(LocatedSet(open_destination(row.destination), row.set_id, row))
            except DestinationError as exc:
                self.stdout.write(f"FAILED set {row.set_id}: {exc}")
        return located

    def handle(self, *args: Any, **options: Any) -> None:
        identities = None
        if options["identity"]:
            try:
                identities = load_identities(options["identity"])
            except (OSError, AgeError) as exc:
                raise CommandError(f"--identity {options['identity']}: {exc}") from exc
        targets = self._targets(options["set"])
        if not targets:
            self.stdout.write("No complete backup set to verify.")
            return
        failed = 0
        with acting(None, via="command:backup_verify"):
            for located in targets:
                recorded = located.backup_set.manifest if located.backup_set is not None else None
                report = verify_files(
                    located.destination, located.set_id, identities=identities, recorded_manifest=recorded
                )
                if located.backup_set is not None:
                    record_verification(located.backup_set, report)
                self.stdout.write(report.summary())
                failed += int(not report.ok)
        if failed:
            raise CommandError(f"{failed} of {len(targets)} set(s) failed verification.")
