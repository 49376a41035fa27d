"""Demo and scale seeders of controls."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.seeding import SeedContext
from governance.models import Control, ControlTest, ControlUserObjectPermission, Finding
from governance.seed_controls import DEMO_CONTROLS, seed_demo_controls, seed_scale_controls
from governance.seed_frameworks import seed_demo_frameworks
from governance.selectors.controls import coverage_by_framework
from tests.governance.controls.conftest import make_framework


def _ctx(personas: Any, **kwargs: Any) -> SeedContext:
    shared = {"personas": {n: personas[n] for n in ("officer_olga", "owner_omar", "admin_alice")}}
    return SeedContext(write=lambda _: None, shared=shared, **kwargs)


def test_demo_controls_are_mapped_tested_and_idempotent(personas: Any) -> None:
    seed_demo_frameworks(_ctx(personas))
    ctx = _ctx(personas)
    seed_demo_controls(ctx)
    assert Control.objects.count() == len(DEMO_CONTROLS) == 25
    assert ctx.created["controls"] == 25
    assert set(Control.objects.values_list("owner__email", flat=True)) == {
        personas["owner_omar"].email,
        personas["officer_olga"].email,
    }
    unmapped = Control.objects.filter(requirements__isnull=True).values_list("ref", flat=True)
    assert list(unmapped) == []
    today = timezone.localdate()
    assert Control.objects.filter(latest_test_result="pass").count() >= 15
    assert Control.objects.filter(latest_test_result="fail").exists()
    assert Control.objects.filter(next_test_due__lt=today).exists()  # an overdue control
    assert Finding.objects.filter(control__isnull=False).count() == 2  # the failure and the partial
    baseline = next(c for c in coverage_by_framework(personas["officer_olga"]) if c.framework.key.endswith("baseline"))
    assert 0 < baseline.covered < baseline.applicable
    again = _ctx(personas)
    seed_demo_controls(again)
    assert again.created["controls"] == 0
    assert Control.objects.count() == 25


def test_demo_controls_skip_missing_requirements(personas: Any) -> None:
    seed_demo_controls(_ctx(personas))  # no baseline imported: controls come without mappings
    assert Control.objects.count() == 25
    assert not Control.objects.filter(requirements__isnull=False).exists()


def test_scale_controls_counts(personas: Any) -> None:
    make_framework()
    ctx = _ctx(personas, factor=1)
    seed_scale_controls(ctx)
    assert Control.objects.count() == 300
    assert ControlTest.objects.count() == 2000
    assert (ctx.created["controls"], ctx.created["control tests"]) == (300, 2000)
    assert Control.requirements.through.objects.count() == 300 * 3
    owned = Control.objects.filter(owner=personas["owner_omar"]).count()
    assert owned == 300  # the only Control owner
    assert ControlUserObjectPermission.objects.filter(user=personas["owner_omar"]).count() == 2 * owned
