"""Demo and scale seeders of assets, risks, exceptions and findings."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F

from governance.models import Asset, ComplianceException, Control, Finding, Risk
from governance.scoping import scoped
from governance.seed_risks import DEMO_ASSETS, DEMO_RISKS, seed_demo_risks, seed_scale_risks
from workbench.seeding import SeedContext

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
