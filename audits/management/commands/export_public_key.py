"""``manage.py export_public_key [--key-id ID]``: print the signing key's public half (PEM).

Hand it to auditors: with it, checkpoints, evidence packs and backup manifests can be
verified without trusting this server. ``--key-id`` prints an older key kept since a
rotation.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core import signing


class Command(BaseCommand):
    help = "Print the public signing key (PEM); --key-id for an older one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key-id", help="The id of an older key (16 hex digits); default: the current key.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pem = signing.public_key_pem(options["key_id"])
        except signing.SigningKeyError as exc:
            self.stderr.write(str(exc))
            raise SystemExit(1) from exc
        self.stdout.write(pem, ending="")
