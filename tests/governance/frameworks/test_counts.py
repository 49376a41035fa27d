"""A framework's size is said the same way everywhere: "N requirements in M sections, K removed".

The import report, the seed, the Frameworks list and the framework page count requirements
without the sections (headings) that group them, and name the sections and the removed
requirements apart, so the same framework never shows 46 in one place and 38 in another.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from core.actor import acting
from core.seeding import SeedContext
from governance.models import Framework, Requirement
from governance.seed_frameworks import seed_demo_frameworks
from governance.services.frameworks import import_framework
from tests.governance.frameworks.files import YAML_V1, YAML_V2

pytestmark = pytest.mark.django_db


def _listed(personas: Any, framework: Framework) -> str:
    page = personas.client("officer_olga").get(reverse("governance:framework_list")).content.decode()
    return next(row for row in page.split("<tr") if framework.name in row)


def test_report_list_and_page_agree(personas: Any) -> None:
    olga = personas["officer_olga"]
    with acting(olga, via="test"):
        report = import_framework(actor=olga, data=YAML_V1.encode(), filename="baseline.yaml")
    assert (report.created, report.requirements, report.sections, report.removed_total) == (6, 4, 2, 0)
    assert "4 requirements in 2 sections." in report.summary()
    assert "Entries (requirements and sections): 6 created" in report.summary()

    row = _listed(personas, report.framework)
    assert ">4</a>" in row and "in 2 sections" in row
    detail = personas.client("officer_olga").get(reverse("governance:framework_detail", args=[report.framework.pk]))
    assert "4 requirements in 2 sections, 4 applicable" in detail.content.decode()


def test_a_removed_requirement_is_counted_apart_everywhere(personas: Any) -> None:
    olga = personas["officer_olga"]
    with acting(olga, via="test"):
        import_framework(actor=olga, data=YAML_V1.encode(), filename="baseline.yaml")
        report = import_framework(actor=olga, data=YAML_V2.encode(), filename="baseline.yaml")
    current = Requirement.objects.filter(framework=report.framework, removed_at__isnull=True, is_section=False)
    assert report.requirements == current.count()
    assert report.removed_total == 1
    assert f"{report.requirements} requirements in 2 sections, 1 removed." in report.summary()
    row = _listed(personas, report.framework)
    assert f">{report.requirements}</a>" in row and "1 removed" in row


def test_the_seed_counts_the_shipped_library_as_the_list_does(personas: Any) -> None:
    ctx = SeedContext(write=lambda _: None)
    ctx.shared["personas"] = {"officer_olga": personas["officer_olga"]}
    seed_demo_frameworks(ctx)
    framework = Framework.objects.get()
    current = Requirement.objects.filter(framework=framework, removed_at__isnull=True)
    assert ctx.created["requirements"] == current.filter(is_section=False).count()
    assert ctx.created["requirement sections"] == current.filter(is_section=True).count() > 0
    row = _listed(personas, framework)
    assert f">{ctx.created['requirements']}</a>" in row
    assert f"in {ctx.created['requirement sections']} sections" in row
