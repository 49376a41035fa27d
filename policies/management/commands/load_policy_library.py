"""``manage.py load_policy_library``: load the shipped starter policies as drafts (idempotent).

Access control, backup, patch management and acceptable use, from ``policies/library/*.md``. Each
becomes a policy whose first version is a draft; it is then reviewed, approved (by someone other
than its author) and published in the product. Policies already loaded are left alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.commands import actor_from, add_actor_argument
from core.actor import acting
from core.errors import DomainError
from policies.documents.library import LIBRARY_DIR
from policies.services.policy_library import load_policy_library


class Command(BaseCommand):
    help = "Load the starter library of policies (access control, backup, patch management, acceptable use)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(LIBRARY_DIR), help="A folder of policy Markdown files.")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        folder = Path(options["dir"])
        if not folder.is_dir():
            raise CommandError(f"--dir: {folder} is not a folder.")
        with acting(actor, via="command:load_policy_library"):
            try:
                report = load_policy_library(actor=actor, directory=folder)
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
