"""The controls API: the same rules as the pages, through the same services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import Control, ControlTest, Finding
from governance.scoping import can
from governance.services import controls as services
from tests.governance.controls.conftest import make_control, make_framework

DAY = timezone.localdate() - dt.timedelta(days=2)


@pytest.fixture
def pair(personas: Any) -> dict[str, Control]:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    return {
        "omar": make_control(olga, "CTL-OMAR", owner=omar),
        "olga": make_control(olga, "CTL-OLGA", owner=olga),
    }


def test_owner_lists_and_reads_only_own_controls(personas: Any, pair: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    body = client.get(reverse("control-list")).json()
    assert [c["ref"] for c in body["results"]] == ["CTL-OMAR"]
    assert client.get(reverse("control-detail", args=[pair["omar"].pk])).status_code == 200
    assert client.get(reverse("control-detail", args=[pair["olga"].pk])).status_code == 404


def test_owner_changes_own_control_only(personas: Any, pair: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    url = reverse("control-detail", args=[pair["omar"].pk])
    response = client.patch(url, {"implementation_notes": "Daily"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["implementation_notes"] == "Daily"
    other = reverse("control-detail", args=[pair["olga"].pk])
    assert client.patch(other, {"title": "Mine"}, content_type="application/json").status_code == 404
    assert client.patch(url, {"ref": "CTL-X"}, content_type="application/json").status_code == 403
    created = client.post(reverse("control-list"), {"ref": "CTL-Z", "title": "Z"}, content_type="application/json")
    assert created.status_code == 403


def test_officer_creates_and_maps(personas: Any) -> None:
    client = personas.client("officer_olga")
    _, section, reqs = make_framework()
    response = client.post(
        reverse("control-list"),
        {
            "ref": "CTL-API",
            "title": "MFA on the CRM",
            "owner": personas["owner_omar"].pk,
            "status": "implemented",
            "requirements": [reqs["R1"].pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["requirements"] == [reqs["R1"].pk]
    assert body["owner"] == personas["owner_omar"].pk
    url = reverse("control-map-requirements", args=[body["id"]])
    mapped = client.post(url, {"requirements": [reqs["R2"].pk, reqs["R3"].pk]}, content_type="application/json")
    assert mapped.status_code == 200
    assert sorted(mapped.json()["requirements"]) == sorted([reqs["R2"].pk, reqs["R3"].pk])
    bad = client.post(url, {"requirements": [section.pk]}, content_type="application/json")
    assert bad.status_code == 400
    assert "requirements" in bad.json()


def test_assign_owner_needs_the_global_permission(personas: Any, pair: dict[str, Control]) -> None:
    url = reverse("control-assign-owner", args=[pair["omar"].pk])
    olga = personas["officer_olga"]
    denied = personas.client("owner_omar").post(url, {"owner": olga.pk}, content_type="application/json")
    assert denied.status_code == 403
    response = personas.client("officer_olga").post(url, {"owner": olga.pk}, content_type="application/json")
    assert response.status_code == 200
    omar = type(olga).objects.get(pk=personas["owner_omar"].pk)
    assert not can(omar, pair["omar"], "view")


def test_owner_records_a_test_through_the_api(personas: Any, pair: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    url = reverse("control-test-list")
    data = {"control": pair["omar"].pk, "result": "partial", "performed_on": DAY.isoformat(), "notes": "Half"}
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["result"] == "partial"
    assert Finding.objects.filter(control=pair["omar"]).count() == 1
    others = {**data, "control": pair["olga"].pk}
    refused = client.post(url, others, content_type="application/json")
    assert refused.status_code == 400
    assert "control" in refused.json()
    future = {**data, "performed_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}
    too_soon = client.post(url, future, content_type="application/json")
    assert too_soon.status_code == 400
    assert list(too_soon.json()) == ["performed_on"]
    assert ControlTest.objects.count() == 1


def test_it_administrator_may_not_record_through_the_api(personas: Any, pair: dict[str, Control]) -> None:
    data = {"control": pair["omar"].pk, "result": "pass", "performed_on": DAY.isoformat()}
    response = personas.client("it_ivan").post(reverse("control-test-list"), data, content_type="application/json")
    assert response.status_code == 403


def test_owner_lists_only_tests_of_own_controls(personas: Any, pair: dict[str, Control]) -> None:
    olga = personas["officer_olga"]
    for control in pair.values():
        services.record_control_test(actor=olga, control=control, result="pass", performed_on=DAY)
    body = personas.client("owner_omar").get(reverse("control-test-list")).json()
    assert [t["control_ref"] for t in body["results"]] == ["CTL-OMAR"]
    other = ControlTest.objects.get(control=pair["olga"])
    assert personas.client("owner_omar").get(reverse("control-test-detail", args=[other.pk])).status_code == 404


def test_api_list_filters_like_the_page(personas: Any, known: Any) -> None:
    client = personas.client("officer_olga")
    body = client.get(reverse("control-list"), {"test": "failed"}).json()
    assert [c["ref"] for c in body["results"]] == ["CTL-2"]
    body = client.get(reverse("control-test-list"), {"result": "pass", "sort": "control"}).json()
    assert [t["control_ref"] for t in body["results"]] == ["CTL-1", "CTL-3"]


def test_coverage_and_soa_endpoints(personas: Any, known: Any) -> None:
    client = personas.client("officer_olga")
    coverage = client.get(reverse("coverage-list")).json()
    row = next(r for r in coverage if r["key"] == "known")
    assert (row["applicable"], row["covered"], row["percent"]) == (4, 1, 25)
    soa = client.get(reverse("soa-detail", args=[known.framework.pk])).json()
    assert (soa["applicable"], soa["covered"]) == (4, 1)
    assert [r["ref_id"] for r in soa["requirements"]] == ["R1", "R2", "R3", "R4", "R5"]
    assert soa["requirements"][0]["controls"] == [
        {"id": known.controls["CTL-1"].pk, "ref": "CTL-1", "status": "implemented", "latest_test_result": "pass"}
    ]
    assert [r["status"] for r in soa["requirements"]] == [
        "Covered",
        "Not covered",
        "Not covered",
        "Not covered",
        "Not applicable",
    ]
    assert personas.client("owner_omar").get(reverse("coverage-list")).status_code == 403


def _api_queries(personas: Any, persona: str, url: str) -> int:
    client = personas.client(persona)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["control-list", "control-test-list"])
@pytest.mark.parametrize("persona", ["officer_olga", "owner_omar"])
def test_api_lists_cost_the_same_with_1_and_50_rows(personas: Any, persona: str, url_name: str) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]

    def seed(start: int, n: int) -> None:
        for i in range(start, start + n):
            control = make_control(olga, f"CTL-{i:03}", owner=omar)
            services.record_control_test(actor=olga, control=control, result="pass", performed_on=DAY)

    url = reverse(url_name)
    seed(0, 1)
    one = _api_queries(personas, persona, url)
    seed(1, 49)
    assert _api_queries(personas, persona, url) == one


def test_framework_choices_are_read_only_when_a_framework_is_asked_for(personas: Any) -> None:
    framework, _, _ = make_framework("iso", "ISO 27001")
    client = personas.client("officer_olga")
    with CaptureQueriesContext(connection) as plain:
        assert client.get(reverse("control-list")).status_code == 200
    assert not any('FROM "governance_framework"' in q["sql"] for q in plain.captured_queries)

    # Given one, the choices are read and checked: a framework she sees filters, another is a 400.
    assert client.get(reverse("control-list"), {"framework": str(framework.pk)}).status_code == 200
    unknown = client.get(reverse("control-list"), {"framework": str(framework.pk + 1000)})
    assert unknown.status_code == 400 and "framework" in unknown.json()
