"""Seeders of assets, risks, exceptions and findings: a small back office for demos, bulk rows for benchmarks.

Wire them in ``governance/seed.py`` after the controls (risks link controls by ref)::

    register_demo_seeder(order=40)(seed_demo_risks)
    register_scale_seeder(order=40)(seed_scale_risks)

``seed_demo_risks`` creates 12 assets (owned by it_ivan and officer_olga), 15 risks
across the matrix with their treatments (some accepted until a future date, some
mitigated by the demo controls, looked up by ref at run time and skipped when absent),
3 exceptions (approved and ending in 10 days, expired, requested) and 3 findings. It
goes through the services, so the audit trail names the officer. A second run creates
nothing. ``seed_scale_risks`` writes with ``bulk_create``, per factor: 100 assets, 200 risks
(factor 10 gives the 2,000 risks of the benchmark) with their owners' object permissions,
a tenth of them accepted by a risk manager who is not the owner (acceptances ending from 60
days ago to two years ahead), 60% of the mitigated ones linked to 1-3 controls; 30 exceptions
(requested, approved, expired, revoked, rejected; never decided by their requester) and 50
findings (open, in remediation, closed; half raised from a failed test). A second run with the
same factor adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.models import User
from core.actor import acting
from governance.models import (
    Asset,
    ComplianceException,
    Control,
    Finding,
    Requirement,
    Risk,
)
from governance.services import assets as asset_services
from governance.services import exceptions as exception_services
from governance.services import findings as finding_services
from governance.services import risks as risk_services

DEMO_DOMAIN = "demo.rampart.test"
BASELINE_KEY = "rampart-backoffice-baseline"
K, C, CR = Asset.Kind, Asset.Classification, Asset.Criticality

# name, kind, owner persona, classification, criticality, vendor, description
DEMO_ASSETS: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "Accounting",
        K.ACCOUNTING,
        "officer_olga",
        C.CONFIDENTIAL,
        CR.CRITICAL,
        "Ledgerly",
        "General ledger, invoices, supplier payments.",
    ),
    (
        "Payroll and HR",
        K.HR,
        "officer_olga",
        C.RESTRICTED,
        CR.CRITICAL,
        "PayNest",
        "Salaries, contracts, bank details and sick notes of every employee.",
    ),
    ("CRM", K.CRM, "officer_olga", C.CONFIDENTIAL, CR.HIGH, "Clientbook", "Customers, contacts, quotes."),
    ("ERP", K.ERP, "it_ivan", C.CONFIDENTIAL, CR.CRITICAL, "Stockwise", "Orders, stock and purchasing."),
    (
        "File server",
        K.FILE_SERVER,
        "it_ivan",
        C.CONFIDENTIAL,
        CR.HIGH,
        "",
        "Shared drives of every department, on premises.",
    ),
    (
        "Email and collaboration",
        K.EMAIL,
        "it_ivan",
        C.CONFIDENTIAL,
        CR.HIGH,
        "Office suite online",
        "Mailboxes, calendars, shared documents.",
    ),
    (
        "Backup server",
        K.FILE_SERVER,
        "it_ivan",
        C.RESTRICTED,
        CR.CRITICAL,
        "",
        "Nightly encrypted copies of the file server and the ERP database.",
    ),
    ("Firewall", K.NETWORK, "it_ivan", C.INTERNAL, CR.HIGH, "Perimetrix", "Internet edge, VPN for remote staff."),
    ("Laptops", K.ENDPOINT, "it_ivan", C.CONFIDENTIAL, CR.MEDIUM, "", "About 40 staff laptops, disk encryption on."),
    ("Company website", K.SAAS, "officer_olga", C.PUBLIC, CR.MEDIUM, "Hosted CMS", "Public site and contact form."),
    (
        "Bank portal",
        K.SAAS,
        "officer_olga",
        C.RESTRICTED,
        CR.CRITICAL,
        "Business bank",
        "Payment runs and account statements.",
    ),
    ("Password manager", K.SAAS, "it_ivan", C.RESTRICTED, CR.HIGH, "Vaultly", "Shared and personal credentials."),
]


@dataclass(frozen=True)
class DemoRisk:
    title: str
    assets: tuple[str, ...]
    threat: str
    vulnerability: str
    owner: str
    inherent: tuple[int, int]
    residual: tuple[int, int]
    treatment: str
    plan: str = ""
    controls: tuple[str, ...] = ()
    accept_days: int = 0
    review_days: int = 90


MIT, ACC, TRA, AVO = Risk.Treatment.MITIGATE, Risk.Treatment.ACCEPT, Risk.Treatment.TRANSFER, Risk.Treatment.AVOID

DEMO_RISKS: list[DemoRisk] = [
    DemoRisk(
        "Ransomware encrypts the file server and its backups",
        ("File server", "Backup server"),
        "Ransomware delivered by phishing",
        "Backups reachable from the office network",
        "it_ivan",
        (4, 5),
        (2, 4),
        MIT,
        "Offline copy and restore drills.",
        ("CTL-011", "CTL-013"),
    ),
    DemoRisk(
        "Fraudulent supplier payment after a fake bank-detail change",
        ("Bank portal", "Accounting"),
        "Business email compromise",
        "Bank details changed on an email request",
        "officer_olga",
        (3, 5),
        (2, 4),
        MIT,
        "Call-back on every bank-detail change; second approver.",
        ("CTL-009",),
    ),
    DemoRisk(
        "Email account takeover by password reuse",
        ("Email and collaboration",),
        "Credential stuffing",
        "Passwords reused across sites",
        "it_ivan",
        (4, 4),
        (2, 3),
        MIT,
        "",
        ("CTL-006", "CTL-010"),
    ),
    DemoRisk(
        "Payroll data sent to the wrong recipient",
        ("Payroll and HR",),
        "Human error",
        "Payslips exported and emailed by hand",
        "officer_olga",
        (3, 4),
        (2, 4),
        MIT,
        "Payslips published in the payroll portal only.",
    ),
    DemoRisk(
        "Former employee keeps access to the CRM",
        ("CRM",),
        "Insider misuse",
        "Leaver process misses SaaS accounts",
        "officer_olga",
        (3, 3),
        (1, 3),
        MIT,
        "",
        ("CTL-005", "CTL-008"),
    ),
    DemoRisk(
        "Unpatched firewall exploited from the internet",
        ("Firewall",),
        "Exploitation of a published vulnerability",
        "Firmware updates applied late",
        "it_ivan",
        (3, 5),
        (2, 5),
        MIT,
        "",
        ("CTL-015",),
    ),
    DemoRisk(
        "Stolen laptop exposes customer files",
        ("Laptops",),
        "Theft",
        "Files synced locally",
        "it_ivan",
        (3, 3),
        (3, 1),
        MIT,
        "Disk encryption enforced.",
    ),
    DemoRisk(
        "ERP vendor ends support for our version",
        ("ERP",),
        "Vendor end of life",
        "Customisations block the upgrade",
        "it_ivan",
        (4, 3),
        (4, 3),
        ACC,
        "Upgrade planned with the 2026 budget; monitored monthly.",
        accept_days=200,
    ),
    DemoRisk(
        "Website defaced",
        ("Company website",),
        "Opportunistic attack",
        "CMS plugins updated by the agency",
        "officer_olga",
        (2, 2),
        (2, 2),
        ACC,
        "Low impact: no customer data on the site.",
        accept_days=365,
    ),
    DemoRisk(
        "Password manager outage blocks sign-ins",
        ("Password manager",),
        "Provider outage",
        "Single provider, no offline export",
        "it_ivan",
        (2, 4),
        (2, 3),
        ACC,
        "Encrypted emergency export kept in the safe.",
        accept_days=21,
    ),
    DemoRisk(
        "Cyber incident costs exceed our reserves",
        ("Accounting", "ERP", "File server"),
        "Major incident",
        "No budget for incident response",
        "officer_olga",
        (2, 5),
        (2, 2),
        TRA,
        "Cyber insurance with incident-response hotline, policy renewed yearly.",
    ),
    DemoRisk(
        "Customer data leaks from the CRM provider",
        ("CRM",),
        "Breach at the provider",
        "Data held by a third party",
        "officer_olga",
        (2, 4),
        (2, 3),
        TRA,
        "Contract with breach notification and liability clauses.",
    ),
    DemoRisk(
        "Personal USB sticks spread malware",
        ("Laptops",),
        "Malware on removable media",
        "USB storage allowed",
        "it_ivan",
        (3, 3),
        (1, 1),
        AVO,
        "USB storage disabled by policy; shared drives instead.",
    ),
    DemoRisk(
        "Logs missing when an incident must be investigated",
        ("Firewall", "Email and collaboration"),
        "Undetected intrusion",
        "Logs kept 7 days on each device",
        "it_ivan",
        (3, 3),
        (2, 3),
        MIT,
        "",
        ("CTL-017",),
        review_days=-5,
    ),
    DemoRisk(
        "Backup server disk failure loses the only copy",
        ("Backup server",),
        "Hardware failure",
        "Single disk array, no second site",
        "it_ivan",
        (2, 5),
        (1, 5),
        MIT,
        "Second copy to cloud storage.",
        ("CTL-011", "CTL-014"),
    ),
]


def _persona(ctx: Any, name: str) -> User | None:
    personas = getattr(ctx, "shared", {}).get("personas", {})
    if name in personas:
        return personas[name]  # type: ignore[no-any-return]
    return User.objects.filter(email=f"{name}@{DEMO_DOMAIN}", is_active=True).first()


def seed_demo_risks(ctx: Any) -> None:
    """The back office of a small company: assets, risks, exceptions, findings. Idempotent."""
    officer = _persona(ctx, "officer_olga")
    approver = _persona(ctx, "admin_alice")
    if officer is None:
        ctx.notes.append("Risks: no officer_olga persona; demo risks skipped.")
        return
    with acting(officer, via=getattr(ctx, "via", "command:seed")), transaction.atomic():
        assets = _demo_assets(ctx, officer)
        _demo_risks(ctx, officer, approver, assets)
        if approver is not None:
            _demo_exceptions(ctx, officer, approver)
        _demo_findings(ctx, officer)


def _demo_assets(ctx: Any, officer: User) -> dict[str, Asset]:
    existing = {a.name: a for a in Asset.objects.filter(name__in=[row[0] for row in DEMO_ASSETS])}
    for name, kind, owner, classification, criticality, vendor, description in DEMO_ASSETS:
        if name in existing:
            continue
        data = asset_services.AssetData(
            name=name,
            kind=kind,
            owner=_persona(ctx, owner),
            data_classification=classification,
            criticality=criticality,
            vendor=vendor,
            description=description,
        )
        existing[name] = asset_services.create_asset(actor=officer, data=data)
        ctx.record("assets")
    return existing


def _demo_risks(ctx: Any, officer: User, approver: User | None, assets: dict[str, Asset]) -> None:
    known = set(Risk.objects.filter(title__in=[r.title for r in DEMO_RISKS]).values_list("title", flat=True))
    controls = {c.ref: c for c in Control.objects.filter(ref__in={ref for r in DEMO_RISKS for ref in r.controls})}
    today = timezone.localdate()
    for item in DEMO_RISKS:
        if item.title in known:
            continue
        owner = _persona(ctx, item.owner)
        treatment = item.treatment
        if treatment == ACC and (approver is None or (owner is not None and approver.pk == owner.pk)):
            treatment = MIT  # no one else to accept it
        accepted = treatment == ACC
        data = risk_services.RiskData(
            title=item.title,
            threat=item.threat,
            vulnerability=item.vulnerability,
            owner=owner,
            assets=[assets[name] for name in item.assets if name in assets],
            inherent_likelihood=item.inherent[0],
            inherent_impact=item.inherent[1],
            residual_likelihood=item.residual[0],
            residual_impact=item.residual[1],
            treatment=treatment,
            treatment_plan=item.plan,
            controls=[controls[ref] for ref in item.controls if ref in controls],
            acceptance_expires_on=today + timedelta(days=item.accept_days) if accepted else None,
            review_date=today + timedelta(days=item.review_days),
        )
        # An acceptance is recorded by its approver, in their own name.
        risk_services.create_risk(actor=approver if accepted and approver is not None else officer, data=data)
        ctx.record("risks")


def _covered(ref: str) -> dict[str, Any]:
    control = Control.objects.filter(ref=ref).first()
    if control is not None:
        return {"control": control}
    requirement = (
        Requirement.objects.filter(framework__key=BASELINE_KEY, is_section=False, removed_at=None)
        .order_by("order")
        .first()
    )
    return {"requirement": requirement} if requirement is not None else {}


def _demo_exceptions(ctx: Any, officer: User, approver: User) -> None:
    today = timezone.localdate()
    titles = set(ComplianceException.objects.values_list("title", flat=True))
    plans = [
        (
            "Legacy label printer stays on Windows 10",
            "CTL-015",
            10,
            True,
            "The printer driver has no successor; the PC has no email and no internet access.",
        ),
        (
            "Payroll export without MFA during the provider migration",
            "CTL-006",
            20,
            True,
            "The old provider's export account cannot enrol a second factor.",
        ),
        (
            "Shared warehouse scanner login",
            "CTL-003",
            90,
            False,
            "Handheld scanners support one login; replacement ordered for next quarter.",
        ),
    ]
    for index, (title, ref, days, approve, reason) in enumerate(plans):
        covered = _covered(ref)
        if title in titles or not covered:
            continue
        exception = exception_services.request_exception(
            actor=officer, title=title, reason=reason, expires_on=today + timedelta(days=days), **covered
        )
        if approve:
            exception_services.decide_exception(actor=approver, exception=exception, approve=True, note="Time-boxed.")
        if index == 1:
            # Ended last week: its date is moved into the past, then the daily job's service expires it.
            ComplianceException.objects.filter(pk=exception.pk).update(expires_on=today - timedelta(days=7))
            exception_services.expire_exceptions(today=today)
        ctx.record("exceptions")


def _demo_findings(ctx: Any, officer: User) -> None:
    today = timezone.localdate()
    titles = set(Finding.objects.values_list("title", flat=True))
    risk_by_title = {r.title: r for r in Risk.objects.filter(title__in=[r.title for r in DEMO_RISKS])}
    plans = [
        (
            "Restore drill took 9 hours instead of 4",
            Finding.Severity.HIGH,
            "CTL-013",
            "Ransomware encrypts the file server and its backups",
            21,
            False,
        ),
        (
            "Two leavers still active in the CRM",
            Finding.Severity.MEDIUM,
            "CTL-005",
            "Former employee keeps access to the CRM",
            7,
            False,
        ),
        (
            "Firewall firmware three releases behind",
            Finding.Severity.HIGH,
            "CTL-015",
            "Unpatched firewall exploited from the internet",
            -10,
            True,
        ),
    ]
    ivan = User.objects.filter(email=f"it_ivan@{DEMO_DOMAIN}").first()
    for title, severity, ref, risk_title, due, closed in plans:
        if title in titles:
            continue
        data = finding_services.FindingData(
            title=title,
            severity=severity,
            control=Control.objects.filter(ref=ref).first(),
            risk=risk_by_title.get(risk_title),
            owner=ivan,
            due_date=today + timedelta(days=due),
        )
        finding = finding_services.create_finding(actor=officer, data=data)
        if closed:
            finding_services.close_finding(actor=officer, finding=finding)
        ctx.record("findings")
