"""Overdue and failed flags: only implemented controls are overdue, and an exception in force on a
control excuses it from both flags until it expires or is revoked.

Every figure is read where people see it: the dashboard, the owner's home page, the list filters
(controls ``?test=``, control tests ``?overdue=yes``) and the pages of the control.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils.formats import date_format

from audits.models import LogEntry
from core.jobs_registry import get_job
from governance.models import ComplianceException, Control, ControlTest, Finding, Frequency, Outcome
from governance.services import controls as services
from governance.services.exceptions import decide_exception, request_exception, revoke_exception
from tests.governance.controls.conftest import make_control, page_queries

# A Monday at noon UTC; the control was last tested a quarter and a month before.
NOW = dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC)
TODAY = NOW.date()
LAST_TEST = TODAY - dt.timedelta(days=120)  # quarterly: due 91 days later, so 29 days overdue


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _overdue_control(personas: Any, ref: str = "CTL-LATE", result: str = Outcome.PASS) -> Control:
    """An implemented, quarterly control of owner_omar, tested 120 days ago and planned by the scheduler."""
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    control = make_control(olga, ref, owner=omar, test_frequency=Frequency.QUARTERLY)
    services.record_control_test(actor=olga, control=control, result=result, performed_on=LAST_TEST)
    services.schedule_control_tests()
    control.refresh_from_db()
    assert control.next_test_due == LAST_TEST + dt.timedelta(days=91) < TODAY
    return control


def _excuse(personas: Any, control: Control, *, days: int = 10, title: str = "Vendor patch pending") -> Any:
    exception = request_exception(
        actor=personas["officer_olga"],
        title=title,
        reason="The vendor ships the fix next month.",
        expires_on=TODAY + dt.timedelta(days=days),
        control=control,
    )
    return decide_exception(actor=personas["admin_alice"], exception=exception, approve=True)


def _flags(personas: Any) -> dict[str, Any]:
    """What each page flags, read over HTTP as the officer and as the owner."""
    olga = personas.client("officer_olga")
    omar = personas.client("owner_omar")
    figures = olga.get(reverse("governance:dashboard")).context["figures"]
    home = omar.get(reverse("home")).context["controls_home"]

    def listed(url_name: str, params: dict[str, str]) -> list[str]:
        rows = olga.get(reverse(url_name), params).context["listing"].page.object_list
        return sorted(getattr(row, "control", row).ref for row in rows)

    return {
        "dashboard": (figures.overdue, figures.overdue_tests, figures.failed),
        "home": ([c.ref for c in home.overdue], [c.ref for c in home.failed]),
        "overdue": listed("governance:control_list", {"test": "overdue"}),
        "failed": listed("governance:control_list", {"test": "failed"}),
        "overdue_tests": listed("governance:control_test_list", {"overdue": "yes"}),
    }


NOTHING = {
    "dashboard": (0, 0, 0),
    "home": ([], []),
    "overdue": [],
    "failed": [],
    "overdue_tests": [],
}


# --- 1. Only implemented controls are overdue ---


def test_not_applicable_control_leaves_every_overdue_figure(personas: Any, clock: Any) -> None:
    control = _overdue_control(personas)
    planned = ControlTest.objects.get(control=control, result="")
    assert _flags(personas) == {
        **NOTHING,
        "dashboard": (1, 1, 0),
        "home": (["CTL-LATE"], []),
        "overdue": ["CTL-LATE"],
        "overdue_tests": ["CTL-LATE"],
    }

    services.update_control(actor=personas["owner_omar"], control=control, status=Control.Status.NOT_APPLICABLE)

    control.refresh_from_db()
    assert control.next_test_due is None
    assert not ControlTest.objects.filter(pk=planned.pk).exists()
    assert ControlTest.objects.filter(control=control).count() == 1  # the performed test stays
    assert LogEntry.objects.filter(
        content_type__model="controltest", object_pk=str(planned.pk), action=LogEntry.Action.DELETE
    ).exists()
    assert _flags(personas) == NOTHING
    response = personas.client("officer_olga").get(reverse("governance:control_detail", args=[control.pk]))
    assert "Overdue" not in response.content.decode()


def test_back_to_implemented_gets_a_due_date_and_a_planned_test_again(personas: Any, clock: Any) -> None:
    olga = personas["officer_olga"]
    control = _overdue_control(personas)
    services.update_control(actor=olga, control=control, status=Control.Status.IN_PROGRESS)
    assert services.schedule_control_tests().created == 0  # not implemented: nothing is planned

    services.update_control(actor=olga, control=control, status=Control.Status.IMPLEMENTED)

    control.refresh_from_db()
    assert control.next_test_due == LAST_TEST + dt.timedelta(days=91)  # from its latest test, still overdue
    assert services.schedule_control_tests().created == 1
    assert ControlTest.objects.get(control=control, result="").due_date == control.next_test_due
    assert _flags(personas)["overdue"] == ["CTL-LATE"]


def test_a_never_tested_control_back_to_implemented_is_planned_for_the_day_of_the_run(
    personas: Any, clock: Any
) -> None:
    olga = personas["officer_olga"]
    control = make_control(olga, "CTL-NEW")
    services.schedule_control_tests()
    services.update_control(actor=olga, control=control, status=Control.Status.PLANNED)
    control.refresh_from_db()
    assert (control.next_test_due, ControlTest.objects.filter(control=control).count()) == (None, 0)

    services.update_control(actor=olga, control=control, status=Control.Status.IMPLEMENTED)
    clock.shift(dt.timedelta(days=3))
    assert services.schedule_control_tests().created == 1
    control.refresh_from_db()
    assert control.next_test_due == TODAY + dt.timedelta(days=3)


def test_no_test_frequency_also_cancels_the_planned_test(personas: Any, clock: Any) -> None:
    control = _overdue_control(personas)
    services.update_control(actor=personas["officer_olga"], control=control, test_frequency=Frequency.NONE)
    assert not ControlTest.objects.filter(control=control, result="").exists()
    assert _flags(personas) == NOTHING


def test_a_planned_test_a_finding_refers_to_stays_but_flags_nothing(personas: Any, clock: Any) -> None:
    olga = personas["officer_olga"]
    control = _overdue_control(personas)
    planned = ControlTest.objects.get(control=control, result="")
    Finding.objects.create(title="Seen while preparing the test", control=control, control_test=planned, raised_by=olga)
    services.update_control(actor=olga, control=control, status=Control.Status.NOT_APPLICABLE)
    assert ControlTest.objects.filter(pk=planned.pk).exists()
    assert _flags(personas) == NOTHING


def test_status_alone_decides_even_with_a_stale_due_date(personas: Any, clock: Any) -> None:
    """Rows saved before the fix keep a past due date; a control not implemented is still not overdue."""
    control = make_control(personas["officer_olga"], "CTL-OLD", owner=personas["owner_omar"])
    Control.objects.filter(pk=control.pk).update(
        status=Control.Status.NOT_APPLICABLE, next_test_due=TODAY - dt.timedelta(days=40)
    )
    ControlTest.objects.create(control=control, due_date=TODAY - dt.timedelta(days=40))
    assert _flags(personas) == NOTHING


def test_a_test_of_a_control_not_implemented_plans_no_next_one(personas: Any, clock: Any) -> None:
    olga = personas["officer_olga"]
    control = make_control(olga, "CTL-DRAFT", status=Control.Status.IN_PROGRESS)
    services.record_control_test(actor=olga, control=control, result=Outcome.PASS, performed_on=LAST_TEST)
    control.refresh_from_db()
    assert (control.latest_test_on, control.next_test_due) == (LAST_TEST, None)


def test_an_owner_may_not_change_the_status_of_anothers_control(personas: Any, clock: Any) -> None:
    from core.errors import PermissionDeniedError

    control = make_control(personas["officer_olga"], "CTL-OLGA", owner=personas["officer_olga"])
    services.schedule_control_tests()
    with pytest.raises(PermissionDeniedError):
        services.update_control(actor=personas["owner_omar"], control=control, status=Control.Status.NOT_APPLICABLE)
    assert ControlTest.objects.filter(control=control, result="").count() == 1


# --- 2. An exception in force on a control excuses it ---


def test_an_approved_exception_excuses_until_it_expires_and_the_job_runs(personas: Any, clock: Any) -> None:
    late = _overdue_control(personas, "CTL-LATE")
    failed = _overdue_control(personas, "CTL-FAIL", result=Outcome.FAIL)
    flagged = {
        "dashboard": (2, 2, 1),
        "home": (["CTL-FAIL", "CTL-LATE"], ["CTL-FAIL"]),
        "overdue": ["CTL-FAIL", "CTL-LATE"],
        "failed": ["CTL-FAIL"],
        "overdue_tests": ["CTL-FAIL", "CTL-LATE"],
    }
    assert _flags(personas) == flagged

    _excuse(personas, late, days=10, title="Vendor patch pending")
    _excuse(personas, failed, days=10, title="Replacement ordered")
    assert _flags(personas) == NOTHING

    olga = personas.client("officer_olga")
    listing = olga.get(reverse("governance:control_list")).content.decode()
    exception = ComplianceException.objects.get(control=late)
    link = reverse("governance:exception_detail", args=[exception.pk])
    until = date_format(TODAY + dt.timedelta(days=10))  # the pages' date format, "12 Jun 2025"
    assert f'Excused by exception <a href="{link}">Vendor patch pending</a> until {until}' in listing
    detail = olga.get(reverse("governance:control_detail", args=[late.pk])).content.decode()
    assert f'Excused by exception <a href="{link}">Vendor patch pending</a> until {until}' in detail
    assert 'text-bg-danger">Overdue' not in detail
    owner_detail = personas.client("owner_omar").get(reverse("governance:control_detail", args=[late.pk]))
    assert f"Excused by exception Vendor patch pending until {until}" in owner_detail.content.decode()

    clock.shift(dt.timedelta(days=10))  # the last day of the exceptions: still excused
    assert _flags(personas)["dashboard"] == (0, 0, 0)

    clock.shift(dt.timedelta(days=1))
    job = get_job("governance.expire_exceptions")
    assert job is not None
    assert job.func(None) == "Expired 2 exception(s)."
    assert _flags(personas) == flagged
    olga = personas.client("officer_olga")  # a new session: the one from before has expired by now
    listing = olga.get(reverse("governance:control_list"))
    assert listing.status_code == 200
    assert "Excused by exception" not in listing.content.decode()
    detail = olga.get(reverse("governance:control_detail", args=[late.pk])).content.decode()
    assert 'data-testid="excused"' not in detail
    assert detail.count('text-bg-danger">Overdue') == 2  # its next due date and its planned test


def test_a_revoked_exception_brings_the_flags_back_at_once(personas: Any, clock: Any) -> None:
    control = _overdue_control(personas, result=Outcome.PARTIAL)
    exception = _excuse(personas, control)
    assert _flags(personas)["dashboard"] == (0, 0, 0)
    revoke_exception(actor=personas["admin_alice"], exception=exception, note="Fix shipped early.")
    assert _flags(personas)["dashboard"] == (1, 1, 1)
    assert _flags(personas)["home"] == (["CTL-LATE"], ["CTL-LATE"])


def test_only_an_approved_exception_on_the_control_excuses(personas: Any, clock: Any) -> None:
    from tests.governance.controls.conftest import make_framework

    olga = personas["officer_olga"]
    control = _overdue_control(personas, result=Outcome.FAIL)
    request_exception(
        actor=olga, title="Asked, not decided", reason="r", expires_on=TODAY + dt.timedelta(days=5), control=control
    )
    _, _, reqs = make_framework()
    services.map_control_requirements(actor=olga, control=control, requirements=[reqs["R1"]])
    on_requirement = request_exception(
        actor=olga,
        title="On the requirement",
        reason="r",
        expires_on=TODAY + dt.timedelta(days=5),
        requirement=reqs["R1"],
    )
    decide_exception(actor=personas["admin_alice"], exception=on_requirement, approve=True)
    assert _flags(personas)["dashboard"] == (1, 1, 1)
    assert (
        "Excused by exception"
        not in personas.client("officer_olga").get(reverse("governance:control_list")).content.decode()
    )


# --- query counts stay fixed with excused controls ---


def _seed(personas: Any, start: int, n: int) -> None:
    """``n`` overdue, failed controls of owner_omar; every other one excused by an exception."""
    olga, omar, alice = personas["officer_olga"], personas["owner_omar"], personas["admin_alice"]
    for i in range(start, start + n):
        control = make_control(olga, f"CTL-X{i:03}", owner=omar, test_frequency=Frequency.QUARTERLY)
        services.record_control_test(actor=olga, control=control, result=Outcome.FAIL, performed_on=LAST_TEST)
        if i % 2 == 0:
            exception = request_exception(
                actor=olga, title=f"Excuse {i}", reason="r", expires_on=TODAY + dt.timedelta(days=5), control=control
            )
            decide_exception(actor=alice, exception=exception, approve=True)
    services.schedule_control_tests()


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("officer_olga", "/governance/controls/"),
        ("owner_omar", "/governance/controls/?test=overdue"),
        ("officer_olga", "/governance/control-tests/?overdue=yes"),
        ("owner_omar", "/"),
        ("officer_olga", "/governance/"),
    ],
)
def test_query_count_is_the_same_with_1_and_50_excused_rows(personas: Any, clock: Any, persona: str, url: str) -> None:
    _seed(personas, 0, 2)
    one = page_queries(personas, persona, url)
    _seed(personas, 2, 48)
    assert ComplianceException.objects.filter(status="approved").count() == 25
    assert page_queries(personas, persona, url) == one
