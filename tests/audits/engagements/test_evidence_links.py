"""The evidence form links controls, requirements and control tests, each with a type-ahead picker."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from audits.models import Evidence
from governance.models import Control, ControlTest
from tests.audits.engagements.conftest import World


def _post(personas: Any, persona: str, **links: Any) -> Any:
    data = {"title": "Quarterly review", "kind": "note", "note": "Reviewed, all fine.", **links}
    return personas.client(persona).post(reverse("audits:evidence_upload"), data)


def test_the_form_shows_three_pickers_and_no_list(world: World, personas: Any) -> None:
    page = personas.client("owner_omar").get(reverse("audits:evidence_upload")).content.decode()
    for url_name in ("control_search", "requirement_search", "control_test_search"):
        assert reverse(f"governance:{url_name}") in page, url_name
    assert "Secret control" not in page  # nothing is listed before one types


def test_evidence_links_a_control_a_requirement_and_a_test(world: World, personas: Any) -> None:
    response = _post(
        personas,
        "owner_omar",
        controls=[world.control.pk],
        requirements=[world.requirement.pk],
        control_tests=[world.test.pk],
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = Evidence.objects.get(title="Quarterly review")
    assert list(evidence.controls.all()) == [world.control]
    assert list(evidence.requirements.all()) == [world.requirement]
    assert list(evidence.control_tests.all()) == [world.test]


def test_a_test_of_a_control_one_may_not_change_is_refused_naming_the_field(world: World, personas: Any) -> None:
    stranger = Control.objects.create(ref="CTL-X", title="Someone else's")
    test = ControlTest.objects.create(control=stranger, due_date=timezone.localdate())
    response = _post(personas, "owner_omar", control_tests=[test.pk])
    assert response.status_code == 200
    assert "Control tests: choose tests the search offers" in response.content.decode()
    assert not Evidence.objects.filter(title="Quarterly review").exists()


def test_a_bad_requirement_id_is_a_clear_error(world: World, personas: Any) -> None:
    response = _post(personas, "owner_omar", requirements=["not-a-number"])
    assert response.status_code == 200
    assert "Requirements: choose requirements the search offers" in response.content.decode()


def test_the_test_picker_finds_tests_of_the_controls_one_may_change(world: World, personas: Any) -> None:
    url = reverse("governance:control_test_search")
    omar = personas.client("owner_omar").get(url, {"q": "CTL", "field": "control_tests", "multiple": "1"})
    assert omar.status_code == 200
    body = omar.content.decode()
    assert "CTL-1: test of" in body and "CTL-9: test of" in body  # both are omar's
    ivan = personas.client("it_ivan").get(url, {"q": "CTL", "field": "control_tests", "multiple": "1"})
    assert ivan.status_code == 200 and "CTL-1: test of" not in ivan.content.decode()  # he changes no control
    aude = personas.client("auditor_aude").get(url, {"q": "CTL", "field": "control_tests", "multiple": "1"})
    assert aude.status_code == 200  # she browses CTL-1 by her engagement, but may link evidence to nothing
    assert "CTL-1: test of" not in aude.content.decode()


def test_a_new_version_keeps_the_links(world: World, personas: Any) -> None:
    world.evidence.requirements.add(world.requirement)
    world.evidence.control_tests.add(world.test)
    page = personas.client("owner_omar").get(reverse("audits:evidence_new_version", args=[world.evidence.pk]))
    body = page.content.decode()
    assert "A.5.1 Policies" in body
    assert "CTL-1: test of" in body
