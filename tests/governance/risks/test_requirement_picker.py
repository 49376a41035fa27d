"""Exceptions and findings name their requirement with the requirement picker, not free text.

The old field asked for "framework key and reference" with a hint ("baseline BO-1.2") that
matched nothing; now a person types part of a reference or title and picks a match.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Framework, Requirement

SEARCH = reverse("governance:requirement_search")


@pytest.fixture
def requirements(db: Any) -> dict[str, Requirement]:
    framework = Framework.objects.create(key="rampart-baseline", name="Back-office baseline")
    section = Requirement.objects.create(framework=framework, ref_id="BK", title="Backups", is_section=True)
    return {
        "section": section,
        "daily": Requirement.objects.create(framework=framework, ref_id="BK-01", title="Daily backups", parent=section),
        "removed": Requirement.objects.create(
            framework=framework, ref_id="BK-09", title="Tape backups", removed_at="2020-01-01T00:00:00Z"
        ),
    }


def test_the_exception_form_uses_the_requirement_picker(personas: Any, requirements: Any) -> None:
    html = personas.client("officer_olga").get(reverse("governance:exception_request")).content.decode()
    assert 'data-testid="picker-id_requirement"' in html
    assert "BO-1.2" not in html and "Framework key and reference" not in html
    assert "---------" not in html


def test_the_search_finds_current_requirements_by_reference_or_title(personas: Any, requirements: Any) -> None:
    client = personas.client("officer_olga")
    by_title = client.get(SEARCH, {"q": "backups", "field": "requirement", "blank": "empty"}).content.decode()
    assert "Back-office baseline: BK-01 Daily backups" in by_title
    assert "Tape backups" not in by_title  # removed
    assert ">Back-office baseline: BK Backups<" not in by_title  # a section is not a requirement
    by_ref = client.get(SEARCH, {"q": "bk-01", "field": "requirement"}).content.decode()
    assert "Daily backups" in by_ref


def test_a_picked_requirement_is_saved_on_the_exception(personas: Any, requirements: Any) -> None:
    daily = requirements["daily"]
    ends = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = personas.client("officer_olga").post(
        reverse("governance:exception_request"),
        {"title": "Old NAS", "requirement": str(daily.pk), "reason": "Replaced in May", "expires_on": ends},
    )
    assert response.status_code == 302
    assert daily.exceptions.get().title == "Old NAS"


def test_a_section_or_removed_requirement_cannot_be_posted(personas: Any, requirements: Any) -> None:
    for name in ("section", "removed"):
        response = personas.client("officer_olga").post(
            reverse("governance:exception_request"),
            {"title": "x", "requirement": str(requirements[name].pk), "reason": "r", "expires_on": "2099-01-01"},
        )
        assert response.status_code == 400
        assert "Requirement: choose one the search offers" in response.content.decode()


def test_the_finding_form_uses_the_picker_too(personas: Any, requirements: Any) -> None:
    html = personas.client("officer_olga").get(reverse("governance:finding_create")).content.decode()
    assert 'data-testid="picker-id_requirement"' in html


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil"])
def test_people_who_do_not_read_requirements_are_refused(personas: Any, persona: str) -> None:
    assert personas.client(persona).get(SEARCH, {"q": "backup"}).status_code == 403
