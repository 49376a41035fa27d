"""Scale data for the evidence and evidence-request lists (``seed_scale``; ``make bench`` measures them).

``factor * 10,000`` pieces of evidence (notes and links: the lists never read files), each linked
to one of the scale controls, one in ten expired; one engagement "Scale audit" with ``factor * 500``
evidence requests across the scale controls, their owners and every status. Rows go in with
``bulk_create`` in chunks (memory bounded), which the audit trail does not record: made-up data.
Idempotent: only what is missing is added.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from access.models import User
from audits.models import Engagement, Evidence, EvidenceRequest
from core.seeding import SeedContext, register_scale_seeder
from governance.models import Control

EVIDENCE_PER_FACTOR = 10_000
REQUESTS_PER_FACTOR = 500
CHUNK = 2_000
SCALE_ENGAGEMENT = "Scale audit"
TITLE_PREFIX = "Scale evidence "


def _controls() -> list[tuple[int, int | None]]:
    return list(Control.objects.filter(ref__startswith="SCL-").order_by("pk").values_list("pk", "owner_id"))


@register_scale_seeder(order=85)
def seed_scale_evidence(ctx: SeedContext) -> None:
    controls = _controls()
    done = Evidence.objects.filter(title__startswith=TITLE_PREFIX).count()
    missing = ctx.factor * EVIDENCE_PER_FACTOR - done
    if missing <= 0 or not controls:
        ctx.record("evidence", 0)
        return
    today = timezone.localdate()
    link = Evidence.controls.through
    for start in range(done, done + missing, CHUNK):
        numbers = range(start, min(done + missing, start + CHUNK))
        rows = [
            Evidence(
                series=uuid.uuid4(),
                title=f"{TITLE_PREFIX}{n:07d}",
                kind=Evidence.Kind.LINK if n % 2 else Evidence.Kind.NOTE,
                url=f"https://intranet.example.test/evidence/{n}" if n % 2 else "",
                note="" if n % 2 else f"Checked on site, record {n}.",
                collected_on=today - timedelta(days=n % 365),
                valid_until=today - timedelta(days=1 + n % 30) if n % 10 == 0 else today + timedelta(days=30 + n % 300),
                owner_id=controls[n % len(controls)][1],
            )
            for n in numbers
        ]
        created = Evidence.objects.bulk_create(rows)
        if created and created[0].pk is None:  # a backend that does not return ids: read them back
            titles = [row.title for row in rows]
            created = list(Evidence.objects.filter(title__in=titles).order_by("title"))
        link.objects.bulk_create(
            [
                link(evidence_id=e.pk, control_id=controls[n % len(controls)][0])
                for n, e in zip(numbers, created, strict=True)
            ]
        )
    ctx.record("evidence", missing)


@register_scale_seeder(order=86)
def seed_scale_requests(ctx: SeedContext) -> None:
    controls = _controls()
    officer = User.objects.filter(is_active=True, is_superuser=False).order_by("pk").first()
    if not controls or officer is None:
        ctx.record("evidence requests", 0)
        return
    today = timezone.localdate()
    engagement, _ = Engagement.objects.get_or_create(
        name=SCALE_ENGAGEMENT,
        defaults={"start": today - timedelta(days=30), "end": today + timedelta(days=60), "created_by": officer},
    )
    done = engagement.requests.count()
    missing = ctx.factor * REQUESTS_PER_FACTOR - done
    statuses = list(EvidenceRequest.Status.values)
    for start in range(done, done + max(missing, 0), CHUNK):
        EvidenceRequest.objects.bulk_create(
            [
                EvidenceRequest(
                    engagement=engagement,
                    title=f"Scale request {n:06d}",
                    control_id=controls[n % len(controls)][0],
                    owner_id=controls[n % len(controls)][1],
                    due_date=today + timedelta(days=(n % 60) - 20),
                    status=statuses[n % len(statuses)],
                    requested_by=officer,
                )
                for n in range(start, min(done + missing, start + CHUNK))
            ]
        )
    ctx.record("evidence requests", max(missing, 0))
