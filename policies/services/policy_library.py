"""Load the shipped starter library of policies (``policies/library/*.md``) as drafts.

Each file becomes a policy with its first version as a draft written by the actor, its audience
roles and the controls it names (those that exist). A policy whose library key is already
loaded is left alone, so loading again creates nothing. The drafts then go through the usual
review: another officer approves them before they are published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from access.models import User
from core.errors import DomainError
from governance.models import Control
from policies.documents.library import LIBRARY_DIR, LibraryFormatError, read_library
from policies.models import Policy
from policies.services import authorize
from policies.services.documents import ADD, create_policy


@dataclass
class LibraryReport:
    created: list[Policy] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        made = len(self.created)
        text = f"Loaded {made} polic{'y' if made == 1 else 'ies'} from the library as drafts"
        if self.skipped:
            text += f"; {len(self.skipped)} already there ({', '.join(self.skipped)})"
        return text + "."


@transaction.atomic
def load_policy_library(*, actor: User | None, directory: Path = LIBRARY_DIR) -> LibraryReport:
    """``actor=None``: the command line (the system is the author of the drafts)."""
    authorize(actor, ADD)
    try:
        entries = read_library(directory)
    except LibraryFormatError as exc:
        raise DomainError(str(exc)) from exc
    report = LibraryReport()
    for entry in entries:
        taken = (
            Policy.objects.filter(library_key=entry.key).exists()
            or Policy.objects.filter(title__iexact=entry.title).exists()
        )
        if taken:
            report.skipped.append(entry.title)
            continue
        unknown = set(entry.audience) - set(
            Group.objects.filter(name__in=entry.audience).values_list("name", flat=True)
        )
        if unknown:
            raise DomainError(f"{entry.source}: 'audience' names no role called {', '.join(sorted(unknown))}.")
        try:
            policy = create_policy(
                actor=actor,
                title=entry.title,
                summary=entry.summary,
                body=entry.body,
                change_note="From the Rampart starter library",
                review_cycle_months=entry.review_cycle_months,
                audience_roles=Group.objects.filter(name__in=entry.audience),
                controls=Control.objects.filter(ref__in=entry.controls),
                library_key=entry.key,
            )
        except ValidationError as exc:
            raise DomainError(f"{entry.source}: {' '.join(exc.messages)}") from exc
        report.created.append(policy)
    return report
