"""``manage.py import_framework PATH [--actor EMAIL]``: import a framework file, or the shipped library.

Prints the import report, or every problem of the file (line, row or JSON path, and
field) and exits with status 1. A file older than the imported version of its framework
is refused unless ``--allow-older`` confirms that it should replace the newer one.
Changes are recorded in the audit trail as made through ``command:import_framework``:
by the ``--actor`` (whose permissions are checked), or without it by the command line
itself, naming the operating-system user, like the other management commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.commands import actor_from, add_actor_argument
from access.models import User
from core.actor import acting
from core.errors import DomainError
from governance.importers import FORMATS, FrameworkImportError
from governance.services import frameworks as services


class Command(BaseCommand):
    help = "Import a framework from Rampart YAML/CSV or an OSCAL catalog; --library imports the shipped ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="The framework file.")
        add_actor_argument(parser)
        parser.add_argument("--format", choices=sorted(FORMATS), help="Default: detected from the file.")
        parser.add_argument("--key", help="Use this framework key instead of the file's (e.g. for OSCAL).")
        parser.add_argument("--library", action="store_true", help="Import the frameworks shipped with Rampart.")
        parser.add_argument(
            "--allow-older",
            action="store_true",
            help="Confirm that a version older than the imported one replaces it (its newer requirements are "
            "marked removed).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        if bool(options["path"]) == bool(options["library"]):
            raise CommandError("Give either a PATH or --library.")
        with acting(actor, via=self.via):
            allow_older = bool(options.get("allow_older"))
            if options["library"]:
                self._library(actor, allow_older)
            else:
                self._file(actor, Path(options["path"]), options["format"], options["key"], allow_older)

    via = "command:import_framework"

    def _file(self, actor: User | None, path: Path, fmt: str | None, key: str | None, allow_older: bool) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            report = services.import_framework(
                actor=actor, data=data, filename=path.name, fmt=fmt, framework_key=key, allow_older=allow_older
            )
        except FrameworkImportError as exc:
            self._fail(path.name, exc)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def _library(self, actor: User | None, allow_older: bool) -> None:
        try:
            reports = services.import_library(actor=actor, allow_older=allow_older)
        except FrameworkImportError as exc:
            self._fail("the library", exc)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for report in reports:
            self.stdout.write(self.style.SUCCESS(report.summary()))

    def _fail(self, name: str, exc: FrameworkImportError) -> None:
        for issue in exc.issues:
            self.stderr.write(f"{name}: {issue}")
        raise CommandError(f"{name} was not imported: {len(exc.issues)} problem(s); nothing was changed.")
