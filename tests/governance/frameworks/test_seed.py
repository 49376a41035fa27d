"""Seeders: the demo imports the shipped baseline once; scale writes 1,000 requirements per factor."""

from __future__ import annotations

import pytest

from access.models import User
from core.seeding import SeedContext
from governance.models import Framework, Requirement
from governance.seed_frameworks import create_scale_frameworks, seed_demo_frameworks, seed_scale_frameworks

pytestmark = pytest.mark.django_db


def test_demo_imports_the_baseline_once(officer_olga: User) -> None:
    ctx = SeedContext(write=lambda _: None, shared={"personas": {"officer_olga": officer_olga}})
    seed_demo_frameworks(ctx)
    framework = Framework.objects.get(key="rampart-backoffice-baseline")
    assert framework.imported_by == officer_olga
    count = Requirement.objects.filter(framework=framework).count()
    sections = Requirement.objects.filter(framework=framework, is_section=True).count()
    # Requirements are counted without their sections, as the Frameworks list counts them.
    assert ctx.created["requirements"] == count - sections > 30
    assert ctx.created["requirement sections"] == sections
    again = SeedContext(write=lambda _: None, shared={"personas": {"officer_olga": officer_olga}})
    seed_demo_frameworks(again)
    assert again.created["requirements"] == 0
    assert Requirement.objects.filter(framework=framework).count() == count


def test_demo_without_any_importer_says_so(db: object) -> None:
    ctx = SeedContext(write=lambda _: None)
    seed_demo_frameworks(ctx)
    assert not Framework.objects.exists()
    assert any("not imported" in note for note in ctx.notes)


def test_scale_writes_a_thousand_requirements_per_factor(db: object) -> None:
    ctx = SeedContext(write=lambda _: None, factor=2)
    seed_scale_frameworks(ctx)
    assert ctx.created["requirements"] == 2000
    assert Framework.objects.count() == 2
    framework = Framework.objects.get(key="scale-framework-001")
    rows = Requirement.objects.filter(framework=framework)
    assert rows.count() == 1000
    assert rows.filter(is_section=True).count() == 20
    assert rows.filter(parent__isnull=False).count() == 980
    assert rows.filter(applicable=False).exclude(justification="").count() == rows.filter(applicable=False).count()
    # Orders follow the tree: each section comes before its requirements.
    first = list(rows.order_by("order").values_list("ref_id", flat=True)[:3])
    assert first == ["S01", "S01.01", "S01.02"]
    assert create_scale_frameworks(factor=2) == 0  # existing ones are left alone
