"""Covering a segregation-of-duties violation with an exception, on the violations page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import formats

from audits.models import LogEntry
from governance.models import ComplianceException, Control
from reviews.models import SodExemption, SodRule
from reviews.services.sod import write_rule

TODAY = date(2026, 12, 7)


def _world(personas: Any) -> tuple[SodRule, ComplianceException, ComplianceException]:
    # Emil holds the Employee role, and reading policies through it: a violation in Rampart itself.
    rule = write_rule(name="Read and be", first="Rampart:Employee", second="Rampart:policies.view_policy")
    control = Control.objects.create(ref="C-SOD", title="Small team")

    def exception(title: str, days: int, status: str = ComplianceException.Status.APPROVED) -> ComplianceException:
        return ComplianceException.objects.create(
            title=title,
            control=control,
            reason="Two people",
            requested_by=personas["officer_olga"],
            status=status,
            expires_on=TODAY + timedelta(days=days),
        )

    exception("Old waiver", -1)
    exception("Asked only", 30, ComplianceException.Status.REQUESTED)
    return rule, exception("Small team waiver", 30), exception("Lapsed waiver", 0)


@time_machine.travel(TODAY, tick=False)
def test_an_it_administrator_covers_a_violation_from_the_page_until_the_exception_expires(personas: Any) -> None:
    rule, waiver, _ = _world(personas)
    emil = personas["employee_emil"]
    client = personas.client("it_ivan")
    page = client.get(reverse("reviews:sod")).content.decode()
    assert "To resolve" in page and 'name="exception"' in page
    response = client.post(reverse("reviews:sod_cover"), {"violation": f"{rule.pk}:{emil.pk}", "exception": waiver.pk})
    assert response.status_code == 302
    link = SodExemption.objects.get()
    assert (link.rule, link.user, link.exception) == (rule, emil, waiver)
    entry = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(SodExemption)).latest("sequence")
    assert entry.actor == personas["it_ivan"]
    page = client.get(reverse("reviews:sod")).content.decode()
    assert f"“Small team waiver” until {formats.date_format(waiver.expires_on)}" in page
    assert "To resolve" not in page
    with time_machine.travel(TODAY + timedelta(days=31), tick=False):
        page = personas.client("it_ivan").get(reverse("reviews:sod")).content.decode()
        assert "To resolve" in page and "Small team waiver" not in page.split("<h2")[1]


@time_machine.travel(TODAY, tick=False)
def test_the_picker_offers_only_exceptions_in_force_to_those_who_may_cover(personas: Any) -> None:
    _world(personas)
    url = reverse("reviews:exception_search")
    found = personas.client("it_ivan").get(url, {"q": "waiver", "field": "exception"}).content.decode()
    assert "Small team waiver" in found and "Lapsed waiver" in found  # it holds through today
    assert "Old waiver" not in found and "Asked only" not in found
    assert personas.client("officer_olga").get(url, {"q": "waiver"}).status_code == 403
    assert personas.client("employee_emil").get(url, {"q": "waiver"}).status_code == 403


@time_machine.travel(TODAY, tick=False)
def test_wrong_choices_are_named_on_the_form(personas: Any) -> None:
    rule, _, _ = _world(personas)
    emil, ivan = personas["employee_emil"], personas["it_ivan"]
    old = ComplianceException.objects.get(title="Old waiver")
    client = personas.client("it_ivan")
    url = reverse("reviews:sod_cover")
    expired = client.post(url, {"violation": f"{rule.pk}:{emil.pk}", "exception": old.pk})
    assert expired.status_code == 400
    assert expired.context["cover_form"].errors == {"exception": ["Choose an approved exception that has not expired."]}
    not_a_violation = client.post(url, {"violation": f"{rule.pk}:{ivan.pk}", "exception": old.pk})
    assert not_a_violation.status_code == 400 and "violation" in not_a_violation.context["cover_form"].errors
    garbage = client.post(url, {"violation": "x\x00", "exception": "1e9"})
    assert garbage.status_code == 400 and set(garbage.context["cover_form"].errors) == {"violation", "exception"}
    assert not SodExemption.objects.exists()
    assert personas.client("officer_olga").post(url, {"violation": f"{rule.pk}:{emil.pk}"}).status_code == 403
