"""Seeders of frameworks: the shipped baseline for demos, bulk requirements for benchmarks.

Wire them in ``governance/seed.py``::

    register_demo_seeder(order=20)(seed_demo_frameworks)
    register_scale_seeder(order=20)(seed_scale_frameworks)

``seed_demo_frameworks`` imports the shipped library through the import service (so
the audit trail names the importer) and does nothing when the same versions are
already there. ``seed_scale_frameworks`` writes ``1,000 x factor`` requirements with
``bulk_create`` (factor 10 gives the 10,000 requirements of the benchmark).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from access.models import Role, User
from core.actor import acting
from governance.models import Framework, Requirement
from governance.services import owners
from governance.services.frameworks import import_library

REQUIREMENTS_PER_FRAMEWORK = 1000
SECTIONS_PER_FRAMEWORK = 20
SCALE_KEY = "scale-framework-{:03d}"
BATCH_SIZE = 2000


def _importer(ctx: Any) -> User | None:
    """Who imports: the demo's compliance officer, else any active administrator."""
    personas = getattr(ctx, "shared", {}).get("personas", {})
    for name in ("officer_olga", "admin_alice"):
        if name in personas:
            return personas[name]  # type: ignore[no-any-return]
    group = Group.objects.filter(name__in=[Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR]).first()
    users = User.objects.filter(is_active=True)
    return (users.filter(groups=group) if group else users.filter(is_superuser=True)).order_by("pk").first()


def seed_demo_frameworks(ctx: Any) -> None:
    """Import the shipped frameworks (the back-office baseline); idempotent."""
    actor = _importer(ctx)
    if actor is None:
        ctx.notes.append("Frameworks not imported: no compliance officer or administrator exists yet.")
        return
    with acting(actor, via=getattr(ctx, "via", "command:seed")):
        reports = import_library(actor=actor, only_new=True)
        # The officer who brought the frameworks in answers for them until someone else does.
        unowned = Framework.objects.filter(owner__isnull=True, pk__in=[r.framework.pk for r in reports])
        owners.bulk_assign(actor=actor, kind=owners.FRAMEWORKS, objects=unowned, person=actor)
    for report in reports:
        ctx.record("frameworks", int(report.framework_created))
        # Counted as the Frameworks list counts: requirements, and apart from them their sections.
        ctx.record("requirements", report.created - report.created_sections)
        ctx.record("requirement sections", report.created_sections)


def seed_scale_frameworks(ctx: Any) -> None:
    """``factor`` frameworks of 1,000 requirements each (sections included)."""
    ctx.record("requirements", create_scale_frameworks(factor=int(getattr(ctx, "factor", 1))))


@transaction.atomic
def create_scale_frameworks(*, factor: int) -> int:
    """Bulk frameworks for benchmarks; frameworks that exist already are left alone. Returns rows created."""
    now = timezone.now()
    created = 0
    for number in range(1, max(factor, 0) + 1):
        key = SCALE_KEY.format(number)
        if Framework.objects.filter(key=key).exists():
            continue
        framework = Framework.objects.create(
            key=key,
            name=f"Scale framework {number:03d}",
            version="1.0",
            publisher="Rampart benchmarks",
            source=Framework.Source.MANUAL,
            imported_at=now,
        )
        created += _bulk_requirements(framework, number, now)
    return created


def _bulk_requirements(framework: Framework, number: int, now: Any) -> int:
    per_section = REQUIREMENTS_PER_FRAMEWORK // SECTIONS_PER_FRAMEWORK - 1
    sections = [
        Requirement(
            framework=framework,
            ref_id=f"S{s:02d}",
            title=f"Section {s} of framework {number}",
            is_section=True,
            order=s * (per_section + 1),
            depth=0,
            created_at=now,
            updated_at=now,
        )
        for s in range(1, SECTIONS_PER_FRAMEWORK + 1)
    ]
    Requirement.objects.bulk_create(sections, batch_size=BATCH_SIZE)
    section_ids = dict(Requirement.objects.filter(framework=framework).values_list("ref_id", "pk"))
    rows = []
    for s in range(1, SECTIONS_PER_FRAMEWORK + 1):
        for r in range(1, per_section + 1):
            index = s * per_section + r
            rows.append(
                Requirement(
                    framework=framework,
                    parent_id=section_ids[f"S{s:02d}"],
                    ref_id=f"S{s:02d}.{r:02d}",
                    reference=f"{number}.{s}.{r}",
                    title=f"Requirement {s}.{r} of framework {number}",
                    text=(
                        f"Keep the safeguard {index} of framework {number} in place, documented, "
                        "reviewed at least once a year and supported by evidence."
                    ),
                    applicable=index % 17 != 0,
                    justification="" if index % 17 else "Not relevant to the back office.",
                    order=s * (per_section + 1) + r,
                    depth=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    Requirement.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(sections) + len(rows)
