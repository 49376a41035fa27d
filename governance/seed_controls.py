"""Seeders of controls and their tests: a small company's controls for demos, bulk rows for benchmarks.

Wire them in ``governance/seed.py`` after the frameworks (they map to its requirements)::

    register_demo_seeder(order=30)(seed_demo_controls)
    register_scale_seeder(order=30)(seed_scale_controls)

``seed_demo_controls`` creates about 25 controls through the services (so the audit trail
names the officer), maps them to the shipped back-office baseline by ``ref_id`` (skipping
identifiers it does not find), gives them to owner_omar and officer_olga and records a test
history with passes, a failure and an overdue control. A second run creates nothing.
``seed_scale_controls`` writes ``300 x factor`` controls and ``2,000 x factor`` tests with
``bulk_create`` (factor 10 gives the 3,000 controls and 20,000 tests of the benchmark).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from access.models import Role, User
from core.actor import acting
from governance.models import (
    FREQUENCY_DAYS,
    Control,
    ControlTest,
    ControlUserObjectPermission,
    Frequency,
    Outcome,
    Requirement,
)
from governance.services import controls as services

BASELINE_KEY = "rampart-backoffice-baseline"
DEMO_DOMAIN = "demo.rampart.test"
M, Q, S, Y = Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.SEMIANNUAL, Frequency.ANNUAL
IMPL, PROG, PLAN = Control.Status.IMPLEMENTED, Control.Status.IN_PROGRESS, Control.Status.PLANNED


@dataclass(frozen=True)
class DemoControl:
    ref: str
    title: str
    description: str
    owner: str  # persona name
    status: str
    frequency: str
    requirements: tuple[str, ...]
    history: tuple[tuple[int, str], ...] = ()  # (days ago, result), oldest first
    evidence: str = ""


DEMO_CONTROLS: list[DemoControl] = [
    DemoControl(
        "CTL-001",
        "Inventory of back-office systems kept in Rampart",
        "Every system that holds company data is listed as an asset with an owner.",
        "officer_olga",
        IMPL,
        Y,
        ("AI-01", "AI-02"),
        ((200, "pass"),),
        "Asset list export",
    ),
    DemoControl(
        "CTL-002",
        "Decommissioning checklist",
        "Retired systems are wiped, licences cancelled and accounts closed.",
        "owner_omar",
        IMPL,
        Y,
        ("AI-03",),
        ((150, "pass"),),
        "Completed checklists",
    ),
    DemoControl(
        "CTL-003",
        "Named accounts on every system",
        "No shared logins; service accounts are listed with an owner.",
        "owner_omar",
        IMPL,
        Q,
        ("RA-01",),
        ((120, "pass"), (30, "pass")),
        "Account exports per system",
    ),
    DemoControl(
        "CTL-004",
        "Role-based access in the ERP",
        "ERP roles follow the role matrix approved by finance.",
        "owner_omar",
        IMPL,
        S,
        ("RA-02", "RA-07"),
        ((90, "pass"),),
        "Role matrix and ERP role report",
    ),
    DemoControl(
        "CTL-005",
        "Leaver process closes accounts within one day",
        "HR tickets trigger account removal on every system.",
        "owner_omar",
        IMPL,
        Q,
        ("RA-03",),
        ((100, "pass"), (20, "fail")),
        "Leaver tickets with closure times",
    ),
    DemoControl(
        "CTL-006",
        "Multi-factor authentication on email, VPN and SaaS",
        "Second factor enforced by the identity provider.",
        "owner_omar",
        IMPL,
        Q,
        ("RA-04",),
        ((60, "pass"),),
        "Identity provider policy screenshot",
    ),
    DemoControl(
        "CTL-007",
        "Separate administrator accounts",
        "Admins use a second account, never for email or browsing.",
        "owner_omar",
        IMPL,
        S,
        ("RA-05",),
        ((80, "pass"),),
    ),
    DemoControl(
        "CTL-008",
        "Quarterly access review of finance systems",
        "Owners confirm who has access to accounting and payroll.",
        "officer_olga",
        IMPL,
        Q,
        ("RA-06",),
        ((130, "pass"),),
        "Signed review campaign",
    ),
    DemoControl(
        "CTL-009",
        "Payment approval by a second person",
        "Supplier payments above the threshold need two approvers.",
        "officer_olga",
        IMPL,
        Q,
        ("RA-07",),
        ((40, "partial"),),
        "Bank approval log",
    ),
    DemoControl(
        "CTL-010",
        "Password manager and sign-in rules",
        "Company password manager; lockout after failed sign-ins.",
        "owner_omar",
        IMPL,
        Y,
        ("RA-08",),
        ((300, "pass"),),
    ),
    DemoControl(
        "CTL-011",
        "Nightly encrypted backups of file servers and ERP",
        "Backups run every night and are encrypted before they leave.",
        "owner_omar",
        IMPL,
        M,
        ("BK-01", "BK-02"),
        ((70, "pass"), (60, "pass")),
        "Backup job history",
    ),
    DemoControl(
        "CTL-012",
        "Backup failures alert the IT team",
        "A failed or missing backup opens a ticket.",
        "owner_omar",
        IMPL,
        Q,
        ("BK-03",),
        ((50, "pass"),),
    ),
    DemoControl(
        "CTL-013",
        "Quarterly restore drill",
        "A sample of files and one database are restored and checked.",
        "owner_omar",
        IMPL,
        Q,
        ("BK-04",),
        ((45, "pass"),),
        "Restore drill report",
    ),
    DemoControl(
        "CTL-014",
        "Backup retention schedule",
        "Daily for 30 days, monthly for a year.",
        "owner_omar",
        PROG,
        Y,
        ("BK-05",),
    ),
    DemoControl(
        "CTL-015",
        "Monthly patching of servers and laptops",
        "Security updates installed within the deadlines of the patch policy.",
        "owner_omar",
        IMPL,
        M,
        ("PM-01", "PM-02"),
        ((35, "pass"),),
        "Patch compliance report",
    ),
    DemoControl(
        "CTL-016",
        "Software inventory from every machine",
        "Installed packages are collected and checked against advisories.",
        "owner_omar",
        PROG,
        Q,
        ("PM-03", "PM-04"),
    ),
    DemoControl(
        "CTL-017",
        "Central log collection",
        "Sign-ins, admin actions and firewall logs go to the log server.",
        "owner_omar",
        IMPL,
        S,
        ("LM-01", "LM-02"),
        ((110, "pass"),),
    ),
    DemoControl(
        "CTL-018",
        "Alerts reviewed every working day",
        "The on-duty administrator reviews and closes alerts.",
        "owner_omar",
        PLAN,
        M,
        ("LM-03",),
    ),
    DemoControl(
        "CTL-019",
        "Time synchronisation",
        "All servers use the company time source.",
        "owner_omar",
        IMPL,
        Y,
        ("LM-04",),
        ((90, "pass"),),
    ),
    DemoControl(
        "CTL-020",
        "Incident reporting channel",
        "One address and phone number, known to every employee.",
        "officer_olga",
        IMPL,
        Y,
        ("IR-01",),
        ((250, "pass"),),
    ),
    DemoControl(
        "CTL-021",
        "Incident response plan and yearly exercise",
        "The plan names roles; a tabletop exercise runs each year.",
        "officer_olga",
        IMPL,
        Y,
        ("IR-02", "IR-04"),
        ((400, "pass"),),
        "Exercise minutes",
    ),
    DemoControl(
        "CTL-022",
        "Information security policy approved and acknowledged",
        "Published in Rampart; every employee acknowledges it.",
        "officer_olga",
        IMPL,
        Y,
        ("PO-01", "PO-02", "PO-03"),
        ((100, "pass"),),
    ),
    DemoControl(
        "CTL-023",
        "Security awareness training",
        "Yearly training and phishing exercises.",
        "officer_olga",
        IMPL,
        Y,
        ("PO-04",),
        ((200, "pass"),),
    ),
    DemoControl(
        "CTL-024",
        "Supplier access register and contracts",
        "Suppliers with access are listed; contracts hold security terms.",
        "officer_olga",
        IMPL,
        S,
        ("SA-01", "SA-02"),
        ((60, "pass"),),
    ),
    DemoControl(
        "CTL-025",
        "Supplier remote access through the gateway only",
        "Time-boxed accounts, approved per session, reviewed quarterly.",
        "owner_omar",
        IMPL,
        Q,
        ("SA-03", "SA-04"),
        ((240, "pass"),),
    ),
]


def _persona(ctx: Any, name: str) -> User | None:
    personas = getattr(ctx, "shared", {}).get("personas", {})
    if name in personas:
        return personas[name]  # type: ignore[no-any-return]
    return User.objects.filter(email=f"{name}@{DEMO_DOMAIN}", is_active=True).first()


def seed_demo_controls(ctx: Any) -> None:
    """About 25 controls of a small company, mapped to the baseline, with a test history; idempotent."""
    officer = _persona(ctx, "officer_olga")
    if officer is None:
        ctx.notes.append("Controls not seeded: the demo compliance officer (officer_olga) does not exist.")
        return
    requirements = {
        r.ref_id: r
        for r in Requirement.objects.filter(framework__key=BASELINE_KEY, removed_at__isnull=True, is_section=False)
    }
    existing = set(Control.objects.filter(ref__in=[d.ref for d in DEMO_CONTROLS]).values_list("ref", flat=True))
    created = tests = 0
    with acting(officer, via=getattr(ctx, "via", "command:seed")):
        for demo in DEMO_CONTROLS:
            if demo.ref in existing:
                continue
            _create_demo_control(demo, officer, _persona(ctx, demo.owner) or officer, requirements)
            created += 1
            tests += len(demo.history)
        planned = services.schedule_control_tests().created if created else 0
    ctx.record("controls", created)
    ctx.record("control tests", tests + planned)


@transaction.atomic
def _create_demo_control(demo: DemoControl, officer: User, owner: User, requirements: dict[str, Requirement]) -> None:
    control = services.create_control(
        actor=officer,
        ref=demo.ref,
        title=demo.title,
        description=demo.description,
        owner=owner,
        status=demo.status,
        test_frequency=demo.frequency,
        expected_evidence=demo.evidence,
        requirements=[requirements[ref] for ref in demo.requirements if ref in requirements],
    )
    today = timezone.localdate()
    for days_ago, result in demo.history:
        notes = "" if result == Outcome.PASS else "Found during the periodic test; see the finding."
        services.record_control_test(
            actor=owner,
            control=control,
            result=result,
            performed_on=today - timedelta(days=days_ago),
            notes=notes,
            evidence_reference=f"Evidence folder {demo.ref}/{today.year}" if demo.evidence else "",
        )


# --- scale ---

CONTROLS_PER_FACTOR = 300
TESTS_PER_FACTOR = 2000
REQUIREMENTS_PER_CONTROL = 3
SCALE_PREFIX = "SCL-"
BATCH_SIZE = 2000
_FREQUENCIES = [M, Q, Q, S, Y]
_STATUSES = [IMPL] * 7 + [PROG, PLAN, Control.Status.NOT_APPLICABLE]


def seed_scale_controls(ctx: Any) -> None:
    """``300 x factor`` controls and ``2,000 x factor`` control tests, mapped to existing requirements."""
    factor = int(getattr(ctx, "factor", 1))
    controls, tests = create_scale_controls(factor=factor)
    ctx.record("controls", controls)
    ctx.record("control tests", tests)


def _scale_owners() -> list[User]:
    owners = list(User.objects.filter(is_active=True, groups__name=Role.CONTROL_OWNER).order_by("pk")[:200]) or list(
        User.objects.filter(is_active=True, groups__name=Role.COMPLIANCE_OFFICER).order_by("pk")[:5]
    )
    return owners


def _history(rng: random.Random, frequency: str, count: int, today: date) -> list[tuple[date, str]]:
    """``count`` performed tests, one per period going back from a recent date, oldest first."""
    days = FREQUENCY_DAYS.get(Frequency(frequency), 365)
    last = today - timedelta(days=rng.randint(1, days + 30))  # some are overdue
    results = rng.choices([Outcome.PASS, Outcome.FAIL, Outcome.PARTIAL], weights=[85, 10, 5], k=count)
    return [(last - timedelta(days=days * (count - 1 - i)), results[i]) for i in range(count)]


@transaction.atomic
def create_scale_controls(*, factor: int, seed: int = 20250301) -> tuple[int, int]:
    """Bulk rows for benchmarks; returns (controls, tests) created."""
    rng = random.Random(seed)  # noqa: S311 - test data, not security
    today = timezone.localdate()
    n_controls, n_tests = CONTROLS_PER_FACTOR * factor, TESTS_PER_FACTOR * factor
    start = Control.objects.filter(ref__startswith=SCALE_PREFIX).count()
    owners = _scale_owners()
    requirement_ids = list(
        Requirement.objects.filter(is_section=False, removed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    per_control = [n_tests // n_controls + (1 if i < n_tests % n_controls else 0) for i in range(n_controls)]
    controls: list[Control] = []
    histories: list[list[tuple[date, str]]] = []
    for i in range(n_controls):
        frequency, status = rng.choice(_FREQUENCIES), rng.choice(_STATUSES)
        tested = status == IMPL
        history = _history(rng, frequency, per_control[i] - (1 if tested else 0), today) if per_control[i] else []
        control = Control(
            ref=f"{SCALE_PREFIX}{start + i + 1:05d}",
            title=f"Scale control {start + i + 1}: {rng.choice(['backup', 'access', 'patch', 'logging', 'policy'])}",
            description="Generated for benchmarks.",
            owner=owners[i % len(owners)] if owners else None,
            status=status,
            test_frequency=frequency,
        )
        if history:
            control.latest_test_on, control.latest_test_result = history[-1]
            control.next_test_due = control.compute_next_due(control.latest_test_on)
        elif tested:
            control.next_test_due = today
        controls.append(control)
        histories.append(history)
    Control.objects.bulk_create(controls, batch_size=BATCH_SIZE)
    tests: list[ControlTest] = []
    for control, history, planned in zip(controls, histories, per_control, strict=True):
        for performed_on, result in history:
            tests.append(ControlTest(control=control, due_date=performed_on, performed_on=performed_on, result=result))
        if control.status == IMPL and planned and control.next_test_due:
            tests.append(ControlTest(control=control, due_date=control.next_test_due))
    ControlTest.objects.bulk_create(tests, batch_size=BATCH_SIZE)
    _bulk_map(controls, requirement_ids, rng)
    _bulk_owner_perms(controls)
    return len(controls), len(tests)


def _bulk_map(controls: list[Control], requirement_ids: list[int], rng: random.Random) -> None:
    if not requirement_ids:
        return
    through = Control.requirements.through
    rows: list[Any] = []
    for control in controls:
        picks = rng.sample(requirement_ids, min(REQUIREMENTS_PER_CONTROL, len(requirement_ids)))
        rows.extend(through(control_id=control.pk, requirement_id=pk) for pk in picks)
    through.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _bulk_owner_perms(controls: list[Control]) -> None:
    perms = list(
        Permission.objects.filter(content_type__app_label="governance", codename__in=["view_control", "change_control"])
    )
    rows = [
        ControlUserObjectPermission(permission=perm, user_id=control.owner_id, content_object=control)
        for control in controls
        if control.owner_id is not None
        for perm in perms
    ]
    ControlUserObjectPermission.objects.bulk_create(rows, batch_size=BATCH_SIZE)
