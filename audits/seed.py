"""Scale data for benchmarks: audit-trail history.

Audit entries are chained by ``audits.chain.append_entries``, the trail's sanctioned
bulk path: hashes exactly as ``LogEntry.save`` computes them, one multi-row INSERT per
batch and one move of the chain head, so ``verify_audit_trail`` accepts the result and
factor 10 (200,000 entries) takes seconds rather than an hour.
"""

from __future__ import annotations

import getpass
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from access.models import Role, User
from access.seed import SCALE_DOMAIN
from audits.chain import append_entries
from audits.models import LogEntry
from core.seeding import SeedContext, register_scale_seeder

SCALE_CID = "seed_scale"
ENTRIES_PER_FACTOR = 20_000
ENTRY_CHUNK = 10_000
SUBJECTS_PER_MODEL = 5_000
# Roles whose holders change things, so appear as actors in the trail.
WRITER_ROLES = (Role.ADMINISTRATOR, Role.COMPLIANCE_OFFICER, Role.IT_ADMINISTRATOR, Role.CONTROL_OWNER)


@dataclass(frozen=True)
class Subject:
    """A kind of object the made-up history is about, and the small changes made to it."""

    model: str  # app_label.ModelName
    label_fields: tuple[str, ...]
    updates: tuple[tuple[str, str, str], ...]  # (field, before, after)


SUBJECTS: list[Subject] = [
    Subject(
        "governance.Requirement",
        ("ref_id", "title"),
        (("title", "Old wording", "New wording"), ("description", "Draft", "Reviewed text")),
    ),
    Subject(
        "governance.Control",
        ("ref", "title"),
        (
            ("status", "planned", "in_progress"),
            ("status", "in_progress", "implemented"),
            ("frequency", "annual", "quarterly"),
        ),
    ),
    Subject(
        "governance.ControlTest",
        ("due_date",),
        (("result", "None", "pass"), ("result", "None", "fail"), ("notes", "", "Evidence attached")),
    ),
    Subject(
        "governance.Risk",
        ("ref", "title"),
        (("treatment", "mitigate", "accept"), ("residual_likelihood", "3", "2"), ("residual_impact", "4", "3")),
    ),
    Subject(
        "governance.Asset",
        ("name",),
        (("criticality", "medium", "high"), ("classification", "internal", "confidential")),
    ),
    Subject("access.User", ("full_name",), (("is_active", "True", "False"), ("full_name", "Old name", "New name"))),
]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _subject_rows(subject: Subject) -> tuple[int, list[tuple[int, str]]]:
    """The content type id and up to ``SUBJECTS_PER_MODEL`` ``(pk, repr)`` of the subject's model."""
    try:
        model: type[Model] = apps.get_model(subject.model)
    except LookupError:
        return 0, []
    rows = model._default_manager.order_by("pk").values_list("pk", *subject.label_fields)[:SUBJECTS_PER_MODEL]
    content_type = ContentType.objects.get_for_model(model)
    return content_type.pk, [(row[0], " ".join(str(v) for v in row[1:]).strip() or str(row[0])) for row in rows]


def _actors() -> list[tuple[int, str]]:
    """Scale users who hold a writing role; the administrators when there are none."""
    writers = User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}", groups__name__in=WRITER_ROLES)
    actors = list(writers.order_by("pk").values_list("pk", "email").distinct())
    if not actors:
        admins = User.objects.filter(groups__name=Role.ADMINISTRATOR)
        actors = list(admins.order_by("pk").values_list("pk", "email"))
    return actors


@register_scale_seeder(order=80)
def seed_scale_audit_entries(ctx: SeedContext) -> None:
    """``factor * 20,000`` entries about governance objects and users, by the scale writers."""
    target = ctx.factor * ENTRIES_PER_FACTOR
    done = LogEntry.objects.filter(cid=SCALE_CID).count()
    missing = target - done
    subjects = [(s, *_subject_rows(s)) for s in SUBJECTS]
    subjects = [(s, ct, rows) for s, ct, rows in subjects if rows]
    actors: list[tuple[Any, Any]] = _actors() or [(None, None)]
    if missing <= 0 or not subjects:
        ctx.record("audit-trail entries", 0)
        return
    rng = random.Random(done)  # noqa: S311 - made-up data, not a secret
    now = timezone.now()
    last = LogEntry.objects.order_by("-sequence").values_list("timestamp", flat=True).first()
    # Timestamps never go backwards along the chain.
    start = max(now - timedelta(days=90), last) if last else now - timedelta(days=90)
    step = (now - start) / max(missing, 1)
    extra = {"via": ctx.via, "os_user": _os_user()}
    for chunk_start in range(0, missing, ENTRY_CHUNK):
        chunk = []
        for i in range(chunk_start, min(missing, chunk_start + ENTRY_CHUNK)):
            n = done + i
            subject, content_type_id, rows = subjects[n % len(subjects)]
            object_index = (n // len(subjects)) % len(rows)
            pk, label = rows[object_index]
            actor_id, actor_email = actors[rng.randrange(len(actors))]
            if n // len(subjects) < len(rows):  # the first entry about each object creates it
                action = LogEntry.Action.CREATE
                changes = {"id": ["None", str(pk)], subject.label_fields[0]: ["None", label[:60]]}
            else:
                action = LogEntry.Action.UPDATE
                field, before, after = subject.updates[rng.randrange(len(subject.updates))]
                changes = {field: [before, after]}
            chunk.append(
                LogEntry(
                    content_type_id=content_type_id,
                    object_pk=str(pk),
                    object_id=pk,
                    object_repr=label[:200],
                    action=action,
                    changes=changes,
                    changes_text="",
                    actor_id=actor_id,
                    actor_email=actor_email,
                    cid=SCALE_CID,
                    remote_addr=f"10.0.{actor_id % 250 if actor_id else 0}.{1 + n % 250}",
                    timestamp=start + step * i,
                    additional_data=extra,
                )
            )
        append_entries(chunk)
    ctx.record("audit-trail entries", missing)


# The demo audit engagement, its evidence and requests.
from audits.engagements import seed as _engagements_seed  # noqa: E402, F401
from audits.engagements import seed_scale as _evidence_scale_seed  # noqa: E402, F401
