"""Demo and scale seeders of assets, risks, exceptions and findings."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.db.models import Count, F, Q

from core.seeding import SeedContext
from governance.models import Asset, ComplianceException, Control, ControlTest, Finding, Outcome, Risk
from governance.scoping import scoped
from governance.seed_risks import DEMO_ASSETS, DEMO_RISKS, seed_demo_risks
from governance.seed_risks_scale import seed_scale_risks
from tests.governance.risks.conftest import in_days

pytestmark = pytest.mark.django_db


def test_demo_seed_is_realistic_and_idempotent(personas: Any) -> None:
    Control.objects.create(ref="CTL-011", title="Nightly encrypted backups")
    Control.objects.create(ref="CTL-015", title="Monthly patching")
    Control.objects.create(ref="CTL-006", title="MFA")
    Control.objects.create(ref="CTL-003", title="Named accounts")
    ctx = SeedContext(write=lambda _: None, shared={"personas": personas.users})
    seed_demo_risks(ctx)
    assert Asset.objects.count() == len(DEMO_ASSETS) == 12
    assert Risk.objects.count() == len(DEMO_RISKS) == 15
    assert set(Asset.objects.values_list("owner__email", flat=True)) == {
        "it_ivan@example.test",
        "officer_olga@example.test",
    }
    accepted = Risk.objects.filter(treatment=Risk.Treatment.ACCEPT)
    assert accepted.count() == 3
    assert all(r.accepted_by == personas["admin_alice"] and r.acceptance_expires_on for r in accepted)
    ransomware = Risk.objects.get(title__startswith="Ransomware")
    assert list(ransomware.controls.values_list("ref", flat=True)) == ["CTL-011"]  # CTL-013 does not exist here
    statuses = dict(ComplianceException.objects.values_list("title", "status"))
    assert sorted(statuses.values()) == ["approved", "expired", "requested"]
    assert Finding.objects.count() == 3
    # Owners see their own risks through object permissions.
    assert scoped(personas["owner_omar"], Risk.objects.all()).count() == 0
    assert ctx.created["risks"] == 15

    again = SeedContext(write=lambda _: None, shared={"personas": personas.users})
    seed_demo_risks(again)
    assert sum(again.created.values()) == 0
    assert Risk.objects.count() == 15 and ComplianceException.objects.count() == 3


def test_scale_seed(personas: Any) -> None:
    ctx = SeedContext(write=lambda _: None, factor=1)
    seed_scale_risks(ctx)
    assert (Asset.objects.count(), Risk.objects.count()) == (100, 200)
    assert not Risk.objects.exclude(inherent_score=F("inherent_likelihood") * F("inherent_impact")).exists()
    assert not Risk.objects.exclude(residual_score=F("residual_likelihood") * F("residual_impact")).exists()
    omar = personas["owner_omar"]
    assert scoped(omar, Risk.objects.all()).count() == Risk.objects.filter(owner=omar).count() == 200
    seed_scale_risks(ctx)
    assert Risk.objects.count() == 200


def test_scale_seed_accepts_links_and_adds_exceptions_and_findings(personas: Any) -> None:
    controls = [Control.objects.create(ref=f"CTL-S{i}", title=f"Control {i}") for i in range(10)]
    failed = ControlTest.objects.create(
        control=controls[0], due_date=in_days(-3), performed_on=in_days(-3), result=Outcome.FAIL
    )
    managers = {personas["admin_alice"].pk, personas["officer_olga"].pk}
    ctx = SeedContext(write=lambda _: None, factor=1)
    seed_scale_risks(ctx)

    # A tenth of the risks accepted, by a risk manager who is not the owner, ending 60 days ago to 2 years on.
    accepted = Risk.objects.filter(treatment=Risk.Treatment.ACCEPT)
    assert accepted.count() == ctx.created["accepted risks"] == 20
    assert set(accepted.values_list("accepted_by", flat=True)) <= managers
    assert not accepted.filter(accepted_by=F("owner")).exists()
    assert not accepted.exclude(residual_score=F("inherent_score")).exists()  # accepted as it stands
    ends = sorted(accepted.values_list("acceptance_expires_on", flat=True))
    assert in_days(-60) <= ends[0] < in_days(0) < in_days(365) < ends[-1] <= in_days(730)
    assert not Risk.objects.exclude(treatment=Risk.Treatment.ACCEPT).filter(accepted_by__isnull=False).exists()

    # About 60% of the mitigated risks name 1 to 3 controls; other treatments name none.
    mitigated = Risk.objects.filter(treatment=Risk.Treatment.MITIGATE).annotate(n=Count("controls"))
    linked = mitigated.filter(n__gt=0)
    assert 0.45 < linked.count() / mitigated.count() < 0.75
    assert set(linked.values_list("n", flat=True)) == {1, 2, 3}
    assert Risk.controls.through.objects.count() == ctx.created["risk-control links"]
    assert not Risk.objects.exclude(treatment=Risk.Treatment.MITIGATE).filter(controls__isnull=False).exists()

    # Exceptions in every state; a decided one is never decided by its requester.
    exceptions = ComplianceException.objects.all()
    assert exceptions.count() == ctx.created["exceptions"] == 30
    states = Counter(exceptions.values_list("status", flat=True))
    assert set(states) == set(ComplianceException.Status.values)
    assert states[ComplianceException.Status.APPROVED] > states[ComplianceException.Status.REVOKED] > 0
    decided = exceptions.exclude(status=ComplianceException.Status.REQUESTED)
    assert not decided.filter(Q(approver__isnull=True) | Q(decided_at__isnull=True)).exists()
    assert not decided.filter(approver=F("requested_by")).exists()
    assert set(decided.values_list("approver", flat=True)) <= managers
    assert not exceptions.filter(status=ComplianceException.Status.REQUESTED, approver__isnull=False).exists()
    today = in_days(0)
    assert not exceptions.filter(status=ComplianceException.Status.EXPIRED, expires_on__gte=today).exists()
    assert not exceptions.filter(status=ComplianceException.Status.APPROVED, expires_on__lt=today).exists()

    # Findings: open, in remediation and closed (with a date); some raised from the failed test.
    findings = Finding.objects.all()
    assert findings.count() == ctx.created["findings"] == 50
    assert set(findings.values_list("status", flat=True)) == set(Finding.Status.values)
    assert not findings.filter(status=Finding.Status.CLOSED, closed_at__isnull=True).exists()
    assert not findings.exclude(status=Finding.Status.CLOSED).filter(closed_at__isnull=False).exists()
    from_test = findings.filter(control_test=failed)
    assert from_test.exists() and not from_test.exclude(control=controls[0]).exists()
    assert findings.filter(risk__isnull=False).exists()

    # A second run with the same factor adds nothing.
    again = SeedContext(write=lambda _: None, factor=1)
    seed_scale_risks(again)
    assert sum(again.created.values()) == 0
    assert (exceptions.count(), findings.count(), accepted.count()) == (30, 50, 20)
