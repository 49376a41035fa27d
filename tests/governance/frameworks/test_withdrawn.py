"""Withdrawn OSCAL controls are kept, with their text and why, but marked removed: never in coverage or the SoA."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from access.models import User
from governance.importers import FrameworkImportError
from governance.models import Control, Framework, Requirement
from governance.selectors import controls as control_selectors
from governance.selectors import frameworks as framework_selectors
from governance.services.frameworks import import_framework
from tests.conftest import Personas
from tests.governance.frameworks.files import oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db

LIVE = {"ac-2", "ac-2.1", "ac-2.1.1", "ac-1"}  # the requirements (not sections) of the base catalog


def _status(value: str) -> dict[str, str]:
    return {"name": "status", "value": value}


def withdrawn_catalog() -> dict[str, Any]:
    """The test catalog plus a withdrawn control (ac-3) and a withdrawn enhancement (ac-2.2)."""
    catalog = oscal_catalog()
    family = catalog["catalog"]["groups"][0]
    ac2 = family["groups"][0]["controls"][0]
    ac2["controls"].append(
        {
            "id": "ac-2.2",
            "class": "SP800-53-enhancement",
            "title": "Removal of Temporary Accounts",
            "props": [{"name": "label", "value": "AC-2(2)"}, _status("withdrawn")],
            "links": [{"href": "#ac-2.1", "rel": "incorporated-into"}, {"href": "#ac-1", "rel": "related"}],
        }
    )
    family["controls"].append(
        {
            "id": "ac-3",
            "title": "Old Access Enforcement",
            "props": [{"name": "label", "value": "AC-3"}, {"name": "sort-id", "value": "ac-03"}, _status("Withdrawn")],
            "links": [
                {"href": "#ac-2", "rel": "incorporated-into"},
                {"href": "#ac-2.1", "rel": "incorporated-into"},
                {"href": "#gone-9", "rel": "moved-to"},
            ],
            "parts": [{"id": "ac-3_smt", "name": "statement", "prose": "Enforce approved authorizations."}],
        }
    )
    return catalog


def _import(user: User, catalog: dict[str, Any], **kwargs: Any) -> Any:
    return import_framework(actor=user, data=oscal_bytes(catalog), filename="catalog.json", **kwargs)


def test_withdrawn_controls_are_kept_marked_and_explained(officer_olga: User) -> None:
    report = _import(officer_olga, withdrawn_catalog())

    assert (report.created, report.withdrawn, report.removed) == (8, 2, 0)
    assert "2 withdrawn (kept, marked removed)" in report.summary()
    ac3 = Requirement.objects.get(framework=report.framework, ref_id="ac-3")
    assert ac3.removed_at is not None
    assert (ac3.reference, ac3.title, ac3.text) == (
        "AC-3",
        "Old Access Enforcement",
        "Enforce approved authorizations.",
    )
    assert ac3.guidance.startswith("Withdrawn:")
    # The links to where the content went, by label when the catalog has it; other links are not kept.
    assert "Incorporated into: AC-2, AC-2(1)" in ac3.guidance
    assert "Moved to: gone-9" in ac3.guidance
    assert "Status: Withdrawn" in ac3.guidance
    enhancement = Requirement.objects.get(framework=report.framework, ref_id="ac-2.2")
    assert enhancement.removed_at is not None
    assert enhancement.parent is not None and enhancement.parent.ref_id == "ac-2"
    assert "Incorporated into: AC-2(1)" in enhancement.guidance
    assert "AC-1" not in enhancement.guidance  # a "related" link says nothing about the withdrawal
    live = Requirement.objects.filter(framework=report.framework, is_section=False, removed_at__isnull=True)
    assert set(live.values_list("ref_id", flat=True)) == LIVE


def test_withdrawn_requirements_count_neither_in_coverage_nor_in_the_soa(officer_olga: User, owner_omar: User) -> None:
    framework = _import(officer_olga, withdrawn_catalog()).framework
    # A control mapped to a withdrawn requirement does not bring it back into scope.
    control = Control.objects.create(ref="CTL-W", title="Old enforcement", owner=owner_omar)
    control.requirements.add(Requirement.objects.get(framework=framework, ref_id="ac-3"))

    counted = framework_selectors.frameworks_visible_to(user=officer_olga).get(pk=framework.pk)
    assert (counted.requirement_count, counted.applicable_count, counted.removed_count) == (4, 4, 2)
    coverage = {c.framework.pk: c for c in control_selectors.coverage_by_framework(officer_olga)}
    assert coverage[framework.pk].applicable == len(LIVE)
    rows = list(control_selectors.statement_of_applicability(framework))
    assert {r.ref_id for r in rows} == LIVE
    assert control_selectors.soa_totals(rows) == (len(LIVE), 0)


def test_the_detail_page_shows_them_struck_through(personas: Personas) -> None:
    framework = _import(personas["officer_olga"], withdrawn_catalog()).framework
    page = personas.client("officer_olga").get(reverse("governance:framework_detail", args=[framework.pk]))
    content = page.content.decode()
    totals = content.split('data-testid="requirement-totals">')[1].split("</dd>")[0]
    assert totals.startswith("4 requirements")
    assert totals.endswith(", 4 applicable, 2 removed by later versions or withdrawn")
    assert content.count("<del>") == 2
    withdrawn = framework.requirements.exclude(removed_at=None).order_by("order").first()
    assert withdrawn is not None
    detail = personas.client("officer_olga").get(reverse("governance:requirement_detail", args=[withdrawn.pk]))
    assert "Withdrawn by the publisher of" in detail.content.decode()
    assert "the current version no longer has it" not in detail.content.decode()


def test_reimport_keeps_the_first_withdrawal_and_follows_changes_of_status(officer_olga: User) -> None:
    with time_machine.travel(datetime(2025, 1, 6, 9, 0, tzinfo=UTC), tick=False):
        framework = _import(officer_olga, withdrawn_catalog()).framework
    first = Requirement.objects.get(framework=framework, ref_id="ac-3").removed_at

    with time_machine.travel(datetime(2025, 2, 6, 9, 0, tzinfo=UTC), tick=False):
        same = _import(officer_olga, withdrawn_catalog())
    assert (same.created, same.updated, same.unchanged, same.removed, same.restored) == (0, 0, 8, 0, 0)
    assert Requirement.objects.get(framework=framework, ref_id="ac-3").removed_at == first

    # Version 5.2: ac-1 is withdrawn now, ac-3 is back in force.
    catalog = withdrawn_catalog()
    catalog["catalog"]["metadata"]["version"] = "5.2"
    family = catalog["catalog"]["groups"][0]
    family["controls"][0]["props"].append(_status("withdrawn"))
    family["controls"][1]["props"] = [{"name": "label", "value": "AC-3"}]
    with time_machine.travel(datetime(2025, 3, 6, 9, 0, tzinfo=UTC), tick=False):
        changed = _import(officer_olga, catalog)
    assert (changed.updated, changed.restored, changed.removed, changed.withdrawn) == (2, 1, 0, 2)
    ac1 = Requirement.objects.get(framework=framework, ref_id="ac-1")
    assert ac1.removed_at == datetime(2025, 3, 6, 9, 0, tzinfo=UTC)
    assert ac1.text == "Develop a policy."
    ac3 = Requirement.objects.get(framework=framework, ref_id="ac-3")
    assert ac3.removed_at is None
    assert "Withdrawn" not in ac3.guidance


def test_a_status_line_in_yaml_text_withdraws_nothing(officer_olga: User) -> None:
    """Only the OSCAL status prop withdraws; a 'Status: withdrawn' in another format's text is just text."""
    data = b"framework: {key: plain, name: Plain}\nrequirements:\n"
    data += b"  - {ref_id: R1, title: One, guidance: 'Status: withdrawn'}\n"
    framework = import_framework(actor=officer_olga, data=data, filename="plain.yaml").framework
    assert Requirement.objects.get(framework=framework).removed_at is None


def test_malformed_links_are_refused_with_their_json_path(officer_olga: User) -> None:
    catalog = copy.deepcopy(withdrawn_catalog())
    catalog["catalog"]["groups"][0]["controls"][1]["links"] = [{"rel": "incorporated-into"}, "ac-2"]
    with pytest.raises(FrameworkImportError) as caught:
        _import(officer_olga, catalog)
    found = {(i.location, i.field) for i in caught.value.issues}
    assert found == {
        ("$.catalog.groups[0].controls[1].links[0].href", "href"),
        ("$.catalog.groups[0].controls[1].links[1]", "links"),
    }
    assert not Framework.objects.exists()
