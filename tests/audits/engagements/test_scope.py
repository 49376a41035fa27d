"""An auditor sees, read-only, exactly the scope of their active engagements, and only while active."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from audits.engagements.selectors import engagements_visible_to, evidence_visible_to, requests_visible_to
from audits.engagements.services import close_engagement, create_request, remove_ended_auditors
from governance.models import ComplianceException, Control, ControlTest, Framework, Requirement, Risk
from governance.scoping import scoped
from tests.audits.engagements.conftest import World


def _visible(user: Any, model: Any) -> set[int]:
    return set(scoped(user, model.objects.all(), "view").values_list("pk", flat=True))


def test_auditor_sees_the_scope_and_nothing_else(world: World, personas: Any) -> None:
    aude = personas["auditor_aude"]
    assert _visible(aude, Framework) == {world.framework.pk}
    assert _visible(aude, Requirement) == {world.requirement.pk}
    assert _visible(aude, Control) == {world.control.pk}
    assert _visible(aude, ControlTest) == {world.test.pk}
    assert _visible(aude, Risk) == {world.risk.pk}
    assert _visible(aude, ComplianceException) == {world.exception.pk}
    assert set(evidence_visible_to(aude).values_list("pk", flat=True)) == {world.evidence.pk}


def test_auditor_may_not_change_what_they_see(world: World, personas: Any) -> None:
    aude = personas["auditor_aude"]
    assert not scoped(aude, Control.objects.all(), "change").exists()
    assert not aude.has_perm("governance.change_control")


def test_scope_by_control_only(world: World, personas: Any) -> None:
    world.engagement.frameworks.clear()
    world.engagement.controls.add(world.outside_control)
    aude = personas["auditor_aude"]
    assert _visible(aude, Control) == {world.outside_control.pk}
    assert _visible(aude, ControlTest) == {world.outside_test.pk}
    assert _visible(aude, Requirement) == set()
    assert set(evidence_visible_to(aude).values_list("pk", flat=True)) == {world.outside_evidence.pk}


def test_access_ends_with_the_period_without_any_job(world: World, personas: Any) -> None:
    aude = personas["auditor_aude"]
    after = timezone.now() + timedelta(days=11)
    with time_machine.travel(after, tick=False):
        assert _visible(aude, Control) == set()
        assert not engagements_visible_to(aude).exists()
        assert not evidence_visible_to(aude).exists()
    before = timezone.now() - timedelta(days=11)
    with time_machine.travel(before, tick=False):
        assert _visible(aude, Requirement) == set()


def test_closing_ends_access_and_freezes_the_scope(world: World, personas: Any) -> None:
    aude = personas["auditor_aude"]
    closed = close_engagement(actor=personas["officer_olga"], engagement=world.engagement)
    assert _visible(aude, Control) == set()
    assert closed.snapshot is not None
    assert closed.snapshot["controls"] == ["CTL-1"]
    assert closed.snapshot["requirements"] == ["iso27001:A.5.1"]
    world.control.requirements.add(world.outside_requirement)  # later changes leave the snapshot alone
    closed.refresh_from_db()
    assert closed.snapshot["controls"] == ["CTL-1"]


def test_daily_job_removes_auditors_of_ended_engagements(world: World, personas: Any) -> None:
    assert remove_ended_auditors() == 0
    assert remove_ended_auditors(timezone.localdate() + timedelta(days=11)) == 1
    assert not world.engagement.auditors.exists()


def test_an_auditor_of_no_engagement_sees_nothing(world: World, personas: Any) -> None:
    from django.contrib.auth.models import Group

    from access.models import User

    other = User.objects.create(email="auditor_bob@example.test", full_name="Bob Auditor")
    other.groups.add(Group.objects.get(name="Auditor"))
    for model in (Framework, Requirement, Control, ControlTest, Risk, ComplianceException):
        assert _visible(other, model) == set(), model
    assert not evidence_visible_to(other).exists()
    assert not engagements_visible_to(other).exists()
    assert _visible(personas["officer_olga"], Control) == {world.control.pk, world.outside_control.pk}


def test_requests_stay_in_scope(world: World, personas: Any) -> None:
    import pytest

    from core.errors import DomainError

    aude = personas["auditor_aude"]
    with pytest.raises(DomainError):
        create_request(actor=aude, engagement=world.engagement, title="Show me", control=world.outside_control)
    request = create_request(actor=aude, engagement=world.engagement, title="Show me", control=world.control)
    assert request.owner == personas["owner_omar"]
    assert list(requests_visible_to(personas["owner_omar"])) == [request]


def test_job_runs_are_system_evidence(db: Any) -> None:
    from core.evidence import collect_evidence
    from jobs.models import JobRun

    JobRun.objects.create(job_id="audits.verify_audit_trail", trigger="schedule", status=JobRun.Status.SUCCEEDED)
    JobRun.objects.create(job_id="audits.verify_audit_trail", trigger="schedule", status=JobRun.Status.FAILED)
    today = timezone.localdate()
    provided = {p.provider: p for p in collect_evidence(today, today)}
    items = provided["jobs.runs"].items
    assert [i["detail"]["runs"] for i in items] == [2]
    assert items[0]["status"] == "failures"
    assert not provided["jobs.runs"].error
