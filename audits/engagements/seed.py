"""Demo content: the engagement "Demo audit" for auditor_aude, with evidence and two requests.

Idempotent: nothing is added when "Demo audit" exists. Runs after governance's controls.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from access.models import User
from audits.engagements.services import add_evidence, create_engagement, create_request, review_request, submit_request
from audits.models import Engagement, Evidence
from core.seeding import SeedContext, register_demo_seeder
from governance.models import Control, Framework

DEMO_NAME = "Demo audit"
BASELINE_KEY = "rampart-backoffice-baseline"
REVIEW_CSV = b"account,system,decision\nalice,ERP,keep\nbob,ERP,remove\n"


def _persona(ctx: SeedContext, name: str) -> User | None:
    personas: dict[str, Any] = ctx.shared.get("personas", {})
    found = personas.get(name)
    return found if found is not None else User.objects.filter(email__startswith=f"{name}@").first()


@register_demo_seeder(order=70)
def seed_demo_audit(ctx: SeedContext) -> None:
    if Engagement.objects.filter(name=DEMO_NAME).exists():
        return
    officer, omar, aude = (_persona(ctx, n) for n in ("officer_olga", "owner_omar", "auditor_aude"))
    framework = Framework.objects.filter(key=BASELINE_KEY).first() or Framework.objects.order_by("pk").first()
    if officer is None or omar is None or aude is None or framework is None:
        ctx.notes.append("Demo audit skipped: the personas or a framework are missing.")
        return
    today = timezone.localdate()
    engagement = create_engagement(
        actor=officer,
        name=DEMO_NAME,
        description="Yearly internal audit of the back-office baseline.",
        start=today - timedelta(days=30),
        end=today + timedelta(days=60),
        frameworks=[framework],
        auditors=[aude],
    )
    controls = list(
        Control.objects.filter(owner=omar, requirements__framework=framework).distinct().order_by("ref")[:3]
    )
    if len(controls) < 2:
        ctx.notes.append("Demo audit has no evidence: owner_omar owns no control of the framework.")
        ctx.record("audit engagements")
        return
    first, second = controls[0], controls[1]
    review = add_evidence(
        actor=omar,
        title="Quarterly access review export",
        kind=Evidence.Kind.FILE,
        upload=ContentFile(REVIEW_CSV, name="access-review.csv"),
        filename="access-review.csv",
        valid_until=today + timedelta(days=90),
        controls=[first],
    )
    add_evidence(
        actor=omar,
        title="Ticket with the review sign-off",
        kind=Evidence.Kind.LINK,
        url="https://tickets.example.test/REVIEW-42",
        controls=[first],
    )
    add_evidence(
        actor=omar,
        title="Walkthrough note",
        kind=Evidence.Kind.NOTE,
        note="Walked through the review with the ERP administrator; no exceptions.",
        controls=[second],
    )
    accepted = create_request(
        actor=aude, engagement=engagement, title="Latest access review", control=first, due_date=today
    )
    submit_request(actor=omar, request=accepted, evidence=[review], comment="Export attached.")
    review_request(actor=aude, request=accepted, accept=True, comment="Complete.")
    create_request(
        actor=aude,
        engagement=engagement,
        title="Evidence of the last test",
        control=second,
        due_date=today + timedelta(days=14),
    )
    ctx.record("audit engagements")
    ctx.record("evidence", 3)
    ctx.record("evidence requests", 2)
