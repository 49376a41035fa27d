"""``manage.py build_pack ENGAGEMENT --output PATH``: the same signed pack the engagement page builds.

``ENGAGEMENT`` is the engagement's name or id. The pack is written next to ``PATH`` as a
``.partial`` file and renamed only when complete.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audits.engagements.pack import find_engagement, write_pack
from audits.models import Engagement


class Command(BaseCommand):
    help = "Build the signed evidence pack of an engagement (by name or id) into --output PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("engagement", help="The engagement's name or id.")
        parser.add_argument("--output", required=True, help="Where to write the pack (a .zip file).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            engagement = find_engagement(options["engagement"])
        except Engagement.DoesNotExist as exc:
            raise CommandError(str(exc)) from exc
        output = Path(options["output"])
        if output.is_dir():
            raise CommandError(f"{output} is a folder; give the path of the pack file to write.")

        def progress(phase: str, done: int, total: int) -> None:
            if options["verbosity"] > 1:
                self.stderr.write(f"[{done}/{total}] {phase}")

        summary = write_pack(engagement, output, progress=progress)
        self.stdout.write(
            f"Wrote {output}: {summary.files} files, {summary.pack_size} bytes, signed by key {summary.key_id}; "
            f"manifest sha256 {summary.manifest_sha256}"
        )
