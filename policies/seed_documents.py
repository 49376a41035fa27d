"""Demo policies: the starter library, with two published so the demo has something to read and acknowledge.

Olga (Compliance officer) loads the library as drafts and sends them for review; Alice
(Administrator) approves and publishes the acceptable use and access control policies, addressed
among others to Employees, so Emil finds them under "Policies to read". The backup policy is
published with a review date in the past, so the compliance dashboard shows an overdue review.
Idempotent: once the library is loaded, nothing more happens.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.actor import acting
from policies.models import Policy, PolicyVersion
from policies.services import documents as services
from policies.services.policy_library import load_policy_library

PUBLISHED = ("acceptable-use", "access-control", "backup")
OVERDUE_REVIEW = "backup"


def seed_demo_policies(ctx: Any) -> None:
    personas = getattr(ctx, "shared", {}).get("personas", {})
    olga, alice = personas.get("officer_olga"), personas.get("admin_alice")
    if olga is None or alice is None:
        ctx.notes.append("Policies: no officer_olga or admin_alice persona; demo policies skipped.")
        return
    if Policy.objects.exclude(library_key="").exists():
        return
    via = getattr(ctx, "via", "command:seed")
    with transaction.atomic():
        with acting(olga, via=via):
            report = load_policy_library(actor=olga)
            ctx.record("policies", len(report.created))
            drafts = {p.library_key: p.versions.get(number=1) for p in report.created}
            for key in PUBLISHED:
                services.submit_for_review(actor=olga, version=drafts[key])
        with acting(alice, via=via):
            for key in PUBLISHED:
                version = services.approve_version(actor=alice, version=drafts[key])
                services.publish_version(actor=alice, version=version)
        Policy.objects.filter(library_key=OVERDUE_REVIEW).update(
            next_review_due=timezone.localdate() - timedelta(days=12)
        )
    ctx.record("published policy versions", PolicyVersion.objects.filter(status="published").count())
