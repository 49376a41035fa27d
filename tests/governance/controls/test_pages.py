"""Control pages: owners see their own controls only, lists filter and export, the dashboard and home."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import Control, ControlTest, Finding, Frequency
from governance.scoping import can
from governance.services import controls as services
from tests.conftest import login
from tests.governance.controls.conftest import make_control, make_framework, page_queries

DAY = timezone.localdate() - dt.timedelta(days=3)


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _refs(response: Any) -> list[str]:
    return [c.ref for c in response.context["listing"].page.object_list]


@pytest.fixture
def two_owners(personas: Any) -> dict[str, Control]:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    return {
        "omar": make_control(olga, "CTL-OMAR", owner=omar),
        "olga": make_control(olga, "CTL-OLGA", owner=olga),
    }


def test_owner_sees_only_own_controls(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    response = client.get(reverse("governance:control_list"))
    assert response.status_code == 200
    assert _refs(response) == ["CTL-OMAR"]
    assert client.get(reverse("governance:control_detail", args=[two_owners["omar"].pk])).status_code == 200
    assert client.get(reverse("governance:control_detail", args=[two_owners["olga"].pk])).status_code == 404
    assert client.get(reverse("governance:control_edit", args=[two_owners["olga"].pk])).status_code == 404
    assert client.get(reverse("governance:control_record_test", args=[two_owners["olga"].pk])).status_code == 404
    rows = _csv(client.get(reverse("governance:control_csv")))
    assert [r[0] for r in rows[1:]] == ["CTL-OMAR"]


def test_owner_cannot_edit_anothers_control(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    other = two_owners["olga"]
    response = client.post(reverse("governance:control_edit", args=[other.pk]), {"title": "Taken", "status": "planned"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.title == "Control CTL-OLGA"


def test_owner_edits_own_control_without_changing_ref_or_owner(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    mine = two_owners["omar"]
    _, _, reqs = make_framework()
    url = reverse("governance:control_edit", args=[mine.pk])
    page = client.get(url)
    assert "owner" not in page.context["form"].fields
    data = {
        "ref": "CTL-HIJACK",
        "title": "Backups of the HR share",
        "status": "implemented",
        "test_frequency": "quarterly",
        "requirements": [reqs["R1"].pk],
    }
    response = client.post(url, data)
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.ref, mine.title, mine.test_frequency) == ("CTL-OMAR", "Backups of the HR share", "quarterly")
    assert list(mine.requirements.values_list("ref_id", flat=True)) == ["R1"]


def test_owner_records_a_test_on_own_control(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    mine = two_owners["omar"]
    response = client.post(
        reverse("governance:control_record_test", args=[mine.pk]),
        {"result": "fail", "performed_on": DAY.isoformat(), "notes": "Restore failed", "evidence_reference": "T-12"},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.latest_test_result, mine.latest_test_on) == ("fail", DAY)
    assert Finding.objects.filter(control=mine).count() == 1
    detail = client.get(reverse("governance:control_detail", args=[mine.pk]))
    assert "Restore failed" in detail.content.decode()


def test_a_test_in_the_future_is_a_field_error_on_the_page(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("owner_omar")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(
        reverse("governance:control_record_test", args=[two_owners["omar"].pk]),
        {"result": "pass", "performed_on": tomorrow.isoformat()},
    )
    assert response.status_code == 400
    assert "performed_on" in response.context["form"].errors
    assert "cannot be performed in the future" in response.content.decode()
    assert ControlTest.objects.count() == 0


def test_it_administrator_sees_but_does_not_change(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("it_ivan")
    pk = two_owners["omar"].pk
    assert client.get(reverse("governance:control_detail", args=[pk])).status_code == 200
    assert client.get(reverse("governance:control_edit", args=[pk])).status_code == 403
    assert client.post(reverse("governance:control_record_test", args=[pk]), {}).status_code == 403


def test_officer_creates_a_control_with_an_owner_and_mappings(personas: Any) -> None:
    client = personas.client("officer_olga")
    _, _, reqs = make_framework()
    data = {
        "ref": "CTL-NEW",
        "title": "Quarterly access review of the ERP",
        "owner": personas["owner_omar"].pk,
        "status": "implemented",
        "test_frequency": "quarterly",
        "requirements": [reqs["R1"].pk, reqs["R2"].pk],
    }
    response = client.post(reverse("governance:control_create"), data)
    assert response.status_code == 302
    control = Control.objects.get(ref="CTL-NEW")
    assert control.owner == personas["owner_omar"]
    assert control.requirements.count() == 2
    assert can(type(control.owner).objects.get(pk=control.owner.pk), control, "change")


def test_a_duplicate_reference_is_a_form_error(personas: Any, two_owners: dict[str, Control]) -> None:
    client = personas.client("officer_olga")
    data = {"ref": "CTL-OMAR", "title": "Again", "status": "planned", "test_frequency": "annual"}
    response = client.post(reverse("governance:control_create"), data)
    assert response.status_code == 200
    assert "ref" in response.context["form"].errors


def test_bulk_owner_assignment_moves_object_permissions(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    controls = [make_control(olga, f"CTL-B{i}") for i in range(3)]
    client = personas.client("officer_olga")
    response = client.post(
        reverse("governance:control_bulk_owner"),
        {"owner": omar.pk, "ids": [c.pk for c in controls[:2]]},
    )
    assert response.status_code == 302
    omar_client = personas.client("owner_omar")
    assert _refs(omar_client.get(reverse("governance:control_list"))) == ["CTL-B0", "CTL-B1"]
    denied = omar_client.post(reverse("governance:control_bulk_owner"), {"owner": omar.pk, "ids": [controls[2].pk]})
    assert denied.status_code == 403
    assert Control.objects.get(pk=controls[2].pk).owner is None


def test_control_list_filters(personas: Any, known: Any) -> None:
    client = personas.client("officer_olga")
    url = reverse("governance:control_list")
    Control.objects.filter(ref="CTL-2").update(next_test_due=timezone.localdate() - dt.timedelta(days=1))
    never = make_control(personas["officer_olga"], "CTL-4")
    assert _refs(client.get(url, {"test": "overdue"})) == ["CTL-2"]
    assert _refs(client.get(url, {"test": "failed"})) == ["CTL-2"]
    assert _refs(client.get(url, {"test": "never"})) == [never.ref]
    assert _refs(client.get(url, {"status": "planned"})) == ["CTL-3"]
    assert _refs(client.get(url, {"framework": known.framework.pk})) == ["CTL-1", "CTL-2", "CTL-3"]
    assert _refs(client.get(url, {"owner": personas["owner_omar"].pk})) == ["CTL-1"]
    assert _refs(client.get(url, {"owner": "none"})) == ["CTL-3", "CTL-4"]
    assert _refs(client.get(url, {"q": "ctl-2"})) == ["CTL-2"]
    assert _refs(client.get(url, {"sort": "-ref"}))[:2] == ["CTL-4", "CTL-3"]
    assert _refs(client.get(url, {"test": "bogus"})) == ["CTL-1", "CTL-2", "CTL-3", "CTL-4"]
    rows = _csv(client.get(reverse("governance:control_csv"), {"test": "failed"}))
    assert rows[0][:3] == ["Reference", "Title", "Status"]
    assert rows[1][0] == "CTL-2" and rows[1][5] == "Fail" and rows[1][8] == "1"


def test_control_test_list_filters_and_csv(personas: Any, known: Any) -> None:
    client = personas.client("officer_olga")
    ControlTest.objects.create(control=known.controls["CTL-1"], due_date=timezone.localdate() - dt.timedelta(days=2))
    url = reverse("governance:control_test_list")

    def refs(params: dict[str, Any]) -> list[str]:
        return sorted(t.control.ref for t in client.get(url, params).context["listing"].page.object_list)

    assert refs({"result": "fail"}) == ["CTL-2"]
    assert refs({"overdue": "yes"}) == ["CTL-1"]
    assert refs({"owner": personas["owner_omar"].pk}) == ["CTL-1", "CTL-1"]
    assert refs({"from": DAY.isoformat()}) == []
    assert refs({"from": (DAY - dt.timedelta(days=5)).isoformat(), "to": "2999-01-01"}) == ["CTL-1", "CTL-2", "CTL-3"]
    assert refs({"from": "not-a-date"}) == ["CTL-1", "CTL-1", "CTL-2", "CTL-3"]
    rows = _csv(client.get(reverse("governance:control_test_csv"), {"result": "pass"}))
    assert rows[0][:6] == ["Control", "Control title", "Control owner", "Due", "Performed on", "Result"]
    assert sorted(r[0] for r in rows[1:]) == ["CTL-1", "CTL-3"]


def test_owner_sees_only_tests_of_own_controls(personas: Any, known: Any) -> None:
    response = personas.client("owner_omar").get(reverse("governance:control_test_list"))
    assert [t.control.ref for t in response.context["listing"].page.object_list] == ["CTL-1"]


def test_employee_may_not_browse_controls(personas: Any, known: Any) -> None:
    client = personas.client("employee_emil")
    assert client.get(reverse("governance:control_list")).status_code == 403
    assert client.get(reverse("governance:control_test_list")).status_code == 403


def test_dashboard_figures_link_to_their_lists(personas: Any, known: Any, admin_alice: Any) -> None:
    Control.objects.filter(ref="CTL-2").update(next_test_due=timezone.localdate() - dt.timedelta(days=1))
    ControlTest.objects.create(control=known.controls["CTL-2"], due_date=timezone.localdate() - dt.timedelta(days=1))
    make_control(personas["officer_olga"], "CTL-4")
    response = personas.client("officer_olga").get(reverse("governance:dashboard"))
    assert response.status_code == 200
    cov = next(c for c in response.context["coverage"] if c.framework == known.framework)
    assert (cov.applicable, cov.covered, cov.percent) == (4, 1, 25)
    figures = response.context["figures"]
    assert figures.by_status == {"planned": 1, "in_progress": 0, "implemented": 3, "not_applicable": 0}
    assert (figures.total, figures.overdue, figures.failed, figures.never_tested, figures.overdue_tests) == (
        4,
        1,
        1,
        1,
        1,
    )
    html = response.content.decode()
    assert f'href="{reverse("governance:control_list")}?test=overdue"' in html
    assert f'href="{reverse("governance:control_list")}?test=failed"' in html
    assert f'href="{reverse("governance:control_test_list")}?overdue=yes"' in html
    assert f'href="{reverse("governance:soa", args=[known.framework.pk])}"' in html
    assert '<progress class="coverage-bar" max="100" value="25"' in html
    assert "style=" not in html


def test_dashboard_risks_and_exceptions(personas: Any, known: Any) -> None:
    from governance.models import ComplianceException, Risk

    olga, alice = personas["officer_olga"], personas["admin_alice"]
    for i, (likelihood, impact) in enumerate([(5, 5), (2, 3), (1, 1)]):
        Risk.objects.create(
            ref=f"RSK-{i}", title=f"Risk {i}", residual_likelihood=likelihood, residual_impact=impact, owner=olga
        )
    Risk.objects.create(ref="RSK-C", title="Closed", residual_likelihood=5, residual_impact=4, status="closed")
    today = timezone.localdate()
    for title, days, status in [
        ("Soon", 10, "approved"),
        ("Later", 60, "approved"),
        ("Lapsed", -1, "approved"),
        ("Marked", -5, "expired"),
        ("Asked", 10, "requested"),
    ]:
        ComplianceException.objects.create(
            title=title,
            requirement=known.reqs["R4"],
            reason="r",
            requested_by=olga,
            approver=alice,
            expires_on=today + dt.timedelta(days=days),
            status=status,
        )
    response = personas.client("officer_olga").get(reverse("governance:dashboard"))
    assert [r.ref for r in response.context["risks"]["top"]] == ["RSK-0", "RSK-1", "RSK-2"]
    exceptions = response.context["exceptions"]
    assert [e.title for e in exceptions["expiring"]] == ["Soon"]
    assert [e.title for e in exceptions["expired"]] == ["Lapsed", "Marked"]
    assert (exceptions["expiring_count"], exceptions["expired_count"]) == (1, 2)
    html = response.content.decode()
    assert f'href="{reverse("governance:exception_list")}?expiry=30"' in html
    assert f'href="{reverse("governance:exception_list")}?expiry=expired"' in html
    assert f'href="{reverse("governance:risk_detail", args=[Risk.objects.get(ref="RSK-0").pk])}"' in html


def test_dashboard_is_not_for_owners(personas: Any) -> None:
    assert personas.client("owner_omar").get(reverse("governance:dashboard")).status_code == 403


# --- home page ---


def test_home_page_empty_state_for_a_new_owner(personas: Any) -> None:
    response = personas.client("owner_omar").get(reverse("home"))
    assert "No controls are assigned to you yet — a Compliance officer assigns owners" in response.content.decode()


def test_home_page_lists_own_overdue_failed_and_planned(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    overdue = make_control(olga, "CTL-LATE", owner=omar)
    failed = make_control(olga, "CTL-FAIL", owner=omar)
    soon = make_control(olga, "CTL-SOON", owner=omar, test_frequency=Frequency.MONTHLY)
    make_control(olga, "CTL-NOT-MINE", owner=olga)
    Control.objects.filter(pk=overdue.pk).update(next_test_due=timezone.localdate() - dt.timedelta(days=4))
    services.record_control_test(actor=omar, control=failed, result="fail", performed_on=DAY)
    ControlTest.objects.create(control=soon, due_date=timezone.localdate() + dt.timedelta(days=20))
    ControlTest.objects.create(control=soon, due_date=timezone.localdate() + dt.timedelta(days=40))
    home = personas.client("owner_omar").get(reverse("home")).context["controls_home"]
    assert home.control_count == 3
    assert [c.ref for c in home.overdue] == ["CTL-LATE"]
    assert [c.ref for c in home.failed] == ["CTL-FAIL"]
    assert [t.control.ref for t in home.planned] == ["CTL-SOON"]


def test_home_page_section_hidden_for_people_without_controls(personas: Any) -> None:
    response = personas.client("employee_emil").get(reverse("home"))
    assert response.context["controls_home"].shown is False
    assert "Your controls" not in response.content.decode()


# --- query counts: the same with 1 and with 50 rows ---


def _seed(personas: Any, start: int, n: int) -> None:
    """``n`` controls of owner_omar, each with a failed test (a finding) and a planned test due soon."""
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    for i in range(start, start + n):
        control = make_control(olga, f"CTL-Q{i:03}", owner=omar)
        services.record_control_test(actor=olga, control=control, result="fail", performed_on=DAY)
        ControlTest.objects.create(control=control, due_date=timezone.localdate() + dt.timedelta(days=5))
        Control.objects.filter(pk=control.pk).update(next_test_due=timezone.localdate() - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("persona", "url_name"),
    [
        ("officer_olga", "governance:control_list"),
        ("owner_omar", "governance:control_list"),
        ("officer_olga", "governance:control_test_list"),
        ("owner_omar", "governance:control_test_list"),
        ("owner_omar", "home"),
        ("officer_olga", "governance:dashboard"),
    ],
)
def test_query_count_is_the_same_with_1_and_50_rows(personas: Any, persona: str, url_name: str) -> None:
    url = reverse(url_name)
    _seed(personas, 0, 1)
    one = page_queries(personas, persona, url)
    _seed(personas, 1, 49)
    assert Control.objects.count() == 50
    assert page_queries(personas, persona, url) == one


def _csv_queries(personas: Any, persona: str, url: str) -> tuple[int, list[list[str]]]:
    """Queries spent streaming the whole CSV (the body is read inside the count), and its rows."""
    client = login(Client(), personas[persona])
    _csv(client.get(url))  # the first request of a session loads caches (permissions, content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200
        rows = _csv(response)
    return len(ctx.captured_queries), rows


@pytest.mark.parametrize(
    ("persona", "url_name", "per_control"),
    [
        ("officer_olga", "governance:control_csv", 1),
        ("owner_omar", "governance:control_csv", 1),
        ("officer_olga", "governance:control_test_csv", 2),  # the failed test and the planned one
        ("owner_omar", "governance:control_test_csv", 2),
    ],
)
def test_csv_query_count_is_the_same_with_1_and_50_rows(
    personas: Any, persona: str, url_name: str, per_control: int
) -> None:
    url = reverse(url_name)
    _seed(personas, 0, 1)
    ControlTest.objects.filter(result="").update(assignee=personas["it_ivan"])
    one, rows = _csv_queries(personas, persona, url)
    assert len(rows) == 1 + per_control
    _seed(personas, 1, 49)
    ControlTest.objects.filter(result="").update(assignee=personas["it_ivan"])
    many, rows = _csv_queries(personas, persona, url)
    assert len(rows) == 1 + 50 * per_control
    owners = {row[rows[0].index("Owner" if "Owner" in rows[0] else "Control owner")] for row in rows[1:]}
    assert owners == {"owner_omar@example.test"}
    assert many == one
