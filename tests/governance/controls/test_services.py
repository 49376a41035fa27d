"""Services of controls: tests and their due dates, findings, mappings, owners, the scheduling job."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from audits.models import LogEntry
from core.errors import PermissionDeniedError
from core.jobs_registry import get_job
from governance.models import Control, ControlTest, Finding, Frequency, Outcome, Requirement
from governance.scoping import can
from governance.services import controls as services
from governance.services import owners
from tests.governance.controls.conftest import make_control, make_framework

DAY = dt.date(2025, 3, 10)


@pytest.fixture
def omars(personas: Any) -> Control:
    return make_control(personas["officer_olga"], "CTL-OM", owner=personas["owner_omar"])


@pytest.mark.parametrize(
    ("frequency", "days"),
    [(Frequency.MONTHLY, 30), (Frequency.QUARTERLY, 91), (Frequency.SEMIANNUAL, 182), (Frequency.ANNUAL, 365)],
)
def test_next_due_date_follows_the_frequency(personas: Any, frequency: str, days: int) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 12, 9, tzinfo=dt.UTC), tick=False):
        control = make_control(personas["officer_olga"], "CTL-F", test_frequency=frequency)
        services.record_control_test(actor=personas["officer_olga"], control=control, result="pass", performed_on=DAY)
    control.refresh_from_db()
    assert control.latest_test_result == "pass"
    assert control.latest_test_on == DAY
    assert control.next_test_due == DAY + dt.timedelta(days=days)


def test_no_next_due_date_without_a_frequency(personas: Any) -> None:
    control = make_control(personas["officer_olga"], "CTL-N", test_frequency=Frequency.NONE)
    services.record_control_test(actor=personas["officer_olga"], control=control, result="pass", performed_on=DAY)
    control.refresh_from_db()
    assert control.next_test_due is None


def test_an_older_test_does_not_replace_the_latest(personas: Any) -> None:
    olga = personas["officer_olga"]
    control = make_control(olga, "CTL-O")
    services.record_control_test(actor=olga, control=control, result="pass", performed_on=DAY)
    services.record_control_test(actor=olga, control=control, result="fail", performed_on=DAY - dt.timedelta(days=30))
    control.refresh_from_db()
    assert (control.latest_test_result, control.latest_test_on) == ("pass", DAY)


def test_failed_test_opens_a_finding(personas: Any, omars: Control) -> None:
    omar = personas["owner_omar"]
    test = services.record_control_test(
        actor=omar, control=omars, result=Outcome.FAIL, performed_on=DAY, notes="Backups of the HR share missing."
    )
    finding = Finding.objects.get(control_test=test)
    assert finding.control == omars
    assert finding.severity == Finding.Severity.MEDIUM
    assert finding.status == Finding.Status.OPEN
    assert finding.owner == omar
    assert finding.raised_by == omar
    assert finding.description == "Backups of the HR share missing."


def test_partial_test_opens_a_finding_and_a_pass_does_not(personas: Any, omars: Control) -> None:
    omar = personas["owner_omar"]
    services.record_control_test(actor=omar, control=omars, result=Outcome.PASS, performed_on=DAY)
    assert Finding.objects.count() == 0
    services.record_control_test(actor=omar, control=omars, result=Outcome.PARTIAL, performed_on=DAY)
    assert Finding.objects.filter(control=omars).count() == 1


def test_a_test_in_the_future_is_refused_with_a_field_error(personas: Any, omars: Control) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        services.record_control_test(actor=personas["owner_omar"], control=omars, result="pass", performed_on=tomorrow)
    assert list(caught.value.message_dict) == ["performed_on"]
    assert ControlTest.objects.count() == 0


def test_an_unknown_result_is_refused(personas: Any, omars: Control) -> None:
    with pytest.raises(ValidationError) as caught:
        services.record_control_test(actor=personas["owner_omar"], control=omars, result="maybe", performed_on=DAY)
    assert list(caught.value.message_dict) == ["result"]


def test_owner_records_tests_of_own_controls_only(personas: Any, omars: Control) -> None:
    other = make_control(personas["officer_olga"], "CTL-OTHER", owner=personas["officer_olga"])
    with pytest.raises(PermissionDeniedError):
        services.record_control_test(actor=personas["owner_omar"], control=other, result="pass", performed_on=DAY)
    test = services.record_control_test(actor=personas["owner_omar"], control=omars, result="pass", performed_on=DAY)
    assert test.tester == personas["owner_omar"]


def test_it_administrator_may_not_record_tests(personas: Any, omars: Control) -> None:
    with pytest.raises(PermissionDeniedError):
        services.record_control_test(actor=personas["it_ivan"], control=omars, result="pass", performed_on=DAY)


def test_recording_closes_the_planned_test(personas: Any, omars: Control) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        services.schedule_control_tests()
    planned = ControlTest.objects.get(control=omars)
    assert planned.due_date == dt.date(2025, 3, 1)
    test = services.record_control_test(actor=personas["owner_omar"], control=omars, result="pass", performed_on=DAY)
    assert test.pk == planned.pk
    assert ControlTest.objects.filter(control=omars).count() == 1
    assert ControlTest.objects.filter(control=omars, result="").count() == 0


def test_recording_is_in_the_audit_trail(personas: Any, omars: Control) -> None:
    test = services.record_control_test(actor=personas["owner_omar"], control=omars, result="pass", performed_on=DAY)
    assert LogEntry.objects.filter(content_type__model="controltest", object_pk=str(test.pk)).exists()


def test_schedule_plans_one_test_per_implemented_control(personas: Any) -> None:
    olga = personas["officer_olga"]
    tested = make_control(olga, "CTL-A", test_frequency=Frequency.QUARTERLY)
    never = make_control(olga, "CTL-B")
    make_control(olga, "CTL-C", status=Control.Status.PLANNED)
    make_control(olga, "CTL-D", test_frequency=Frequency.NONE)
    with time_machine.travel(dt.datetime(2025, 3, 12, 9, tzinfo=dt.UTC), tick=False):
        services.record_control_test(actor=olga, control=tested, result="pass", performed_on=DAY)
        first = services.schedule_control_tests()
        second = services.schedule_control_tests()
    assert (first.created, second.created) == (2, 0)
    open_tests = {t.control.ref: t.due_date for t in ControlTest.objects.filter(result="").select_related("control")}
    assert open_tests == {"CTL-A": DAY + dt.timedelta(days=91), "CTL-B": dt.date(2025, 3, 12)}
    never.refresh_from_db()
    assert never.next_test_due == dt.date(2025, 3, 12)


def test_schedule_moves_the_planned_test_when_the_frequency_changes(personas: Any) -> None:
    olga = personas["officer_olga"]
    control = make_control(olga, "CTL-A", test_frequency=Frequency.ANNUAL)
    with time_machine.travel(dt.datetime(2025, 3, 12, 9, tzinfo=dt.UTC), tick=False):
        services.record_control_test(actor=olga, control=control, result="pass", performed_on=DAY)
        services.schedule_control_tests()
        services.update_control(actor=olga, control=control, test_frequency=Frequency.MONTHLY)
        outcome = services.schedule_control_tests()
    assert (outcome.created, outcome.rescheduled) == (0, 1)
    assert ControlTest.objects.get(control=control, result="").due_date == DAY + dt.timedelta(days=30)


def test_the_daily_job_is_registered_and_runs(personas: Any) -> None:
    make_control(personas["officer_olga"], "CTL-J")
    job = get_job("governance.schedule_control_tests")
    assert job is not None
    assert job.cron == "15 1 * * *"
    assert job.func(None) == "Planned 1 control test(s); moved the due date of 0."


def test_removed_requirement_cannot_be_newly_mapped_but_stays(personas: Any) -> None:
    olga = personas["officer_olga"]
    _, section, reqs = make_framework()
    control = make_control(olga, "CTL-M")
    services.map_control_requirements(actor=olga, control=control, requirements=[reqs["R1"]])
    Requirement.objects.filter(pk__in=[reqs["R1"].pk, reqs["R2"].pk]).update(removed_at=timezone.now())
    for r in reqs.values():
        r.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.map_control_requirements(actor=olga, control=control, requirements=[reqs["R1"], reqs["R2"]])
    assert "R2" in caught.value.message_dict["requirements"][0]
    services.map_control_requirements(actor=olga, control=control, requirements=[reqs["R1"], reqs["R3"]])
    assert set(control.requirements.values_list("ref_id", flat=True)) == {"R1", "R3"}
    with pytest.raises(ValidationError):
        services.map_control_requirements(actor=olga, control=control, requirements=[section])


def test_controls_map_across_frameworks(personas: Any) -> None:
    olga = personas["officer_olga"]
    _, _, first = make_framework("first", "First")
    _, _, second = make_framework("second", "Second")
    control = make_control(olga, "CTL-X", requirements=[first["R1"], second["R2"]])
    assert set(control.requirements.values_list("framework__key", "ref_id")) == {("first", "R1"), ("second", "R2")}


def test_owner_edits_own_control_but_not_its_reference_or_anothers(personas: Any, omars: Control) -> None:
    omar = personas["owner_omar"]
    services.update_control(actor=omar, control=omars, implementation_notes="Nightly at 02:00")
    omars.refresh_from_db()
    assert omars.implementation_notes == "Nightly at 02:00"
    with pytest.raises(PermissionDeniedError):
        services.update_control(actor=omar, control=omars, ref="CTL-MINE")
    other = make_control(personas["officer_olga"], "CTL-OTHER", owner=personas["officer_olga"])
    with pytest.raises(PermissionDeniedError):
        services.update_control(actor=omar, control=other, title="Mine now")


def test_assigning_an_owner_moves_object_permissions(personas: Any, omars: Control) -> None:
    omar, olga, alice = personas["owner_omar"], personas["officer_olga"], personas["admin_alice"]
    from django.contrib.auth.models import Group

    from access.models import Role

    other_owner = type(omar).objects.create(email="other.owner@example.test", full_name="Other Owner")
    other_owner.groups.add(Group.objects.get(name=Role.CONTROL_OWNER))
    services.assign_control_owner(actor=olga, control=omars, owner=other_owner)
    omar = type(omar).objects.get(pk=omar.pk)  # fresh permission cache
    other_owner = type(omar).objects.get(pk=other_owner.pk)
    assert not can(omar, omars, "view")
    assert can(other_owner, omars, "view") and can(other_owner, omars, "change")
    with pytest.raises(PermissionDeniedError):
        services.assign_control_owner(actor=other_owner, control=omars, owner=alice)


def test_an_inactive_owner_is_refused(personas: Any, omars: Control) -> None:
    emil = personas["employee_emil"]
    emil.is_active = False
    emil.save()
    with pytest.raises(ValidationError) as caught:
        services.assign_control_owner(actor=personas["officer_olga"], control=omars, owner=emil)
    assert list(caught.value.message_dict) == ["owner"]


def test_bulk_assignment_moves_object_permissions(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    controls = [make_control(olga, f"CTL-{i}", owner=olga) for i in range(3)]
    changed = owners.bulk_assign(actor=olga, kind=owners.CONTROLS, objects=controls, person=omar)
    assert changed == 3
    omar = type(omar).objects.get(pk=omar.pk)
    assert all(can(omar, c, "change") for c in controls)
    assert Control.objects.filter(owner=omar).count() == 3
    with pytest.raises(PermissionDeniedError):
        owners.bulk_assign(actor=omar, kind=owners.CONTROLS, objects=controls, person=olga)


def test_only_officers_create_controls(personas: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        make_control(personas["owner_omar"], "CTL-NOPE")
    with pytest.raises(ValidationError) as caught:
        make_control(personas["officer_olga"], "")
    assert "ref" in caught.value.message_dict


def test_a_tested_control_cannot_be_deleted(personas: Any, omars: Control) -> None:
    from core.errors import DomainError

    olga = personas["officer_olga"]
    services.record_control_test(actor=olga, control=omars, result="pass", performed_on=DAY)
    with pytest.raises(DomainError):
        services.delete_control(actor=olga, control=omars)
    untested = make_control(olga, "CTL-DEL")
    services.delete_control(actor=olga, control=untested)
    assert not Control.objects.filter(ref="CTL-DEL").exists()
