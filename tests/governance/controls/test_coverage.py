"""Coverage per framework and the Statement of Applicability on known data (see conftest)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import timezone

from governance.models import ComplianceException, Outcome
from governance.selectors.controls import coverage_by_framework, statement_of_applicability
from governance.services import controls as services


def _coverage(user: Any, framework: Any) -> Any:
    return next(c for c in coverage_by_framework(user) if c.framework.pk == framework.pk)


def test_coverage_on_known_data(known: Any, officer_olga: Any) -> None:
    cov = _coverage(officer_olga, known.framework)
    assert (cov.applicable, cov.covered, cov.percent) == (4, 1, 25)


def test_coverage_counts_in_two_queries(known: Any, officer_olga: Any, django_assert_num_queries: Any) -> None:
    officer_olga.has_perm("governance.view_framework")  # load the permission cache first
    with django_assert_num_queries(2):  # the counts grouped by framework, then the frameworks
        coverage_by_framework(officer_olga)


def test_a_framework_without_requirements_has_no_percent(known: Any, officer_olga: Any) -> None:
    from governance.models import Framework

    empty = Framework.objects.create(key="empty", name="Empty")
    cov = _coverage(officer_olga, empty)
    assert (cov.applicable, cov.covered, cov.percent) == (0, 0, None)


def test_recording_a_passing_test_raises_coverage(known: Any, officer_olga: Any) -> None:
    services.record_control_test(
        actor=officer_olga, control=known.controls["CTL-2"], result=Outcome.PASS, performed_on=timezone.localdate()
    )
    cov = _coverage(officer_olga, known.framework)
    assert (cov.applicable, cov.covered, cov.percent) == (4, 2, 50)


def test_a_later_failure_removes_coverage(known: Any, officer_olga: Any) -> None:
    services.record_control_test(
        actor=officer_olga, control=known.controls["CTL-1"], result=Outcome.FAIL, performed_on=timezone.localdate()
    )
    assert _coverage(officer_olga, known.framework).covered == 0


def test_implementing_the_planned_control_covers_its_requirement(known: Any, officer_olga: Any) -> None:
    services.update_control(actor=officer_olga, control=known.controls["CTL-3"], status="implemented")
    assert _coverage(officer_olga, known.framework).covered == 2


def _exception(known: Any, olga: Any, alice: Any, *, expires_on: dt.date, status: str) -> ComplianceException:
    return ComplianceException.objects.create(
        title="No separate test system for R4",
        requirement=known.reqs["R4"],
        reason="Budget",
        requested_by=olga,
        approver=alice,
        expires_on=expires_on,
        status=status,
    )


def test_approved_exception_leaves_the_denominator_until_it_expires(
    known: Any, officer_olga: Any, admin_alice: Any
) -> None:
    start = timezone.localdate()
    _exception(
        known,
        officer_olga,
        admin_alice,
        expires_on=start + dt.timedelta(days=10),
        status=ComplianceException.Status.APPROVED,
    )
    cov = _coverage(officer_olga, known.framework)
    assert (cov.applicable, cov.covered, cov.percent) == (3, 1, 33)
    with time_machine.travel(start + dt.timedelta(days=10, hours=12), tick=False):
        assert _coverage(officer_olga, known.framework).applicable == 3  # the last day still counts
    with time_machine.travel(start + dt.timedelta(days=11, hours=12), tick=False):
        cov = _coverage(officer_olga, known.framework)
        assert (cov.applicable, cov.covered, cov.percent) == (4, 1, 25)


def test_requested_exception_does_not_count(known: Any, officer_olga: Any, admin_alice: Any) -> None:
    _exception(
        known,
        officer_olga,
        admin_alice,
        expires_on=timezone.localdate() + dt.timedelta(days=10),
        status=ComplianceException.Status.REQUESTED,
    )
    assert _coverage(officer_olga, known.framework).applicable == 4


def test_statement_of_applicability_rows(known: Any, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(2):
        rows = list(statement_of_applicability(known.framework))
    assert [r.ref_id for r in rows] == ["R1", "R2", "R3", "R4", "R5"]  # no section, no removed requirement
    by_ref = {r.ref_id: r for r in rows}
    assert [r.covered for r in rows] == [True, False, False, False, False]
    assert by_ref["R5"].applicable is False
    assert by_ref["R5"].justification == "We have no payment cards."
    assert [c.ref for c in by_ref["R1"].mapped_controls] == ["CTL-1"]
    assert [(c.ref, c.status, c.latest_test_result) for c in by_ref["R2"].mapped_controls] == [
        ("CTL-2", "implemented", "fail")
    ]
    assert by_ref["R4"].mapped_controls == []


def test_soa_csv_content(known: Any, personas: Any) -> None:
    response = personas.client("officer_olga").get(reverse("governance:soa_csv", args=[known.framework.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="soa-known.csv"'
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Reference",
        "Citation",
        "Section",
        "Title",
        "Applicable",
        "Justification",
        "Exception until",
        "Controls",
        "Covered",
        "Status",
    ]
    assert [r[0] for r in rows[1:]] == ["R1", "R2", "R3", "R4", "R5"]
    assert rows[1][7] == "CTL-1 (Implemented, Pass)"
    assert rows[1][8:] == ["Yes", "Covered"]
    assert rows[2][7:] == ["CTL-2 (Implemented, Fail)", "No", "Not covered"]
    assert rows[3][7:] == ["CTL-3 (Planned, Pass)", "No", "Not covered"]
    assert rows[4][7:] == ["", "No", "Not covered"]
    assert rows[5][4:6] == ["No", "We have no payment cards."]
    assert rows[5][9] == "Not applicable"


def test_soa_page_is_printable(known: Any, personas: Any) -> None:
    response = personas.client("officer_olga").get(reverse("governance:soa", args=[known.framework.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 of 4 applicable requirements covered" in html
    assert 'media="print"' in html
    assert "style=" not in html
    assert "<script>" not in html


def test_soa_is_not_for_control_owners(known: Any, personas: Any) -> None:
    response = personas.client("owner_omar").get(reverse("governance:soa", args=[known.framework.pk]))
    assert response.status_code == 403
