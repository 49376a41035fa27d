"""``manage.py audit_checkpoint [--output PATH]``: sign a checkpoint of the audit trail now.

The trail is verified first (from the newest checkpoint that still matches); the
checkpoint is appended to the checkpoint file (``RAMPART_CHECKPOINT_FILE``) and, with
``--output``, to PATH as well. Prints its sequence and hash. Exits 1, signing
nothing, when the trail does not verify.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audits.checkpoints import CheckpointRefusedError, make_checkpoint


class Command(BaseCommand):
    help = "Sign a checkpoint of the audit trail now and append it to the checkpoint file (and to --output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="PATH", help="Also append the checkpoint to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = make_checkpoint(reason="on demand (manage.py audit_checkpoint)")
        except CheckpointRefusedError as exc:
            self.stdout.write(self.style.ERROR(str(exc)))
            raise SystemExit(1) from exc
        if options["output"]:
            output = Path(options["output"])
            fd = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            with os.fdopen(fd, "a", encoding="ascii") as handle:
                handle.write(checkpoint.as_line() + "\n")
        self.stdout.write(
            f"Checkpoint #{checkpoint.sequence} sha256 {checkpoint.entry_hash} "
            f"(key {checkpoint.key_id}, {checkpoint.created_at})"
        )
