"""Each role's home page: what it has to look at, or an empty state saying what will appear there."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from access.models import User
from audits.models import ChainHead
from governance.models import ComplianceException, Control, ControlTest
from jobs.models import JobRun


def _home(personas: Any, name: str) -> Any:
    response = personas.client(name).get(reverse("home"))
    assert response.status_code == 200
    return response


def test_administrator_home_names_what_needs_attention(personas: Any) -> None:
    # Ivan's role requires a second factor but he has none; Olga has none and needs none.
    personas["it_ivan"].totpdevice_set.all().delete()
    invited = User.objects.create(email="new.hire@example.test", full_name="New Hire")
    User.objects.filter(email__endswith="example.test").exclude(pk=invited.pk).update(last_login=timezone.now())
    AccessAttempt.objects.create(
        username="olga@typo.test", ip_address="203.0.113.9", failures_since_start=5, get_data="", post_data=""
    )
    JobRun.objects.create(job_id="access.expire_api_tokens", trigger="schedule", status="failed", error="boom")
    JobRun.objects.create(job_id="audits.verify_audit_trail", trigger="schedule", status="succeeded")

    response = _home(personas, "admin_alice")
    accounts, chain, failed = response.context["accounts"], response.context["chain"], response.context["failed_runs"]

    first = accounts.without_mfa[0]
    assert (first.email, bool(first.mfa_needed)) == ("it_ivan@example.test", True)
    assert "officer_olga@example.test" in [u.email for u in accounts.without_mfa]
    assert "admin_alice@example.test" not in [u.email for u in accounts.without_mfa]
    assert [(lock.username, lock.ip_address) for lock in accounts.locked] == [("olga@typo.test", "203.0.113.9")]
    assert [u.email for u in accounts.pending] == ["new.hire@example.test"]
    assert [r.job_id for r in failed.runs] == ["access.expire_api_tokens"]
    assert chain.verified and chain.entries == ChainHead.current().sequence > 0
    html = response.content.decode()
    assert "required by their role" in html
    assert "Expire API tokens" in html  # the job's name, not its id
    assert "olga@typo.test from 203.0.113.9" in html
    assert "new.hire@example.test" in html


def test_administrator_home_empty_states(personas: Any) -> None:
    User.objects.update(last_login=timezone.now())
    html = _home(personas, "admin_alice").content.decode()
    assert "No account is locked out now." in html
    assert "Everyone invited has signed in." in html
    assert "No job failed in the last 7 days." in html
    assert "Not verified yet" in html


def test_old_lockouts_and_old_failures_are_not_listed(personas: Any) -> None:
    attempt = AccessAttempt.objects.create(
        username="old@example.test", ip_address="203.0.113.9", failures_since_start=9, get_data="", post_data=""
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - dt.timedelta(hours=2))
    run = JobRun.objects.create(job_id="access.clear_sessions", trigger="schedule", status="failed")
    JobRun.objects.filter(pk=run.pk).update(queued_at=timezone.now() - dt.timedelta(days=8))
    response = _home(personas, "admin_alice")
    assert response.context["accounts"].locked == []
    assert response.context["failed_runs"].count == 0


def test_compliance_officer_sees_the_organisation_beside_her_own_items(personas: Any) -> None:
    olga = personas["officer_olga"]
    late = dt.date(2000, 1, 1)
    Control.objects.create(ref="CTL-LATE", title="Late", owner=olga, status="implemented", next_test_due=late)
    response = _home(personas, "officer_olga")
    overview = response.context["overview"]
    assert overview.overdue_controls == 1
    html = response.content.decode()
    assert "Your organisation" in html and "Your controls" in html
    assert reverse("governance:dashboard") in html


@pytest.mark.parametrize(
    ("persona", "empty_state"),
    [
        ("auditor_aude", "When an audit engagement grants you access, it appears here"),
        ("employee_emil", "When a policy is published for you to read, it appears here"),
    ],
)
def test_auditor_and_employee_see_what_will_appear(personas: Any, persona: str, empty_state: str) -> None:
    response = _home(personas, persona)
    html = response.content.decode()
    assert empty_state in html
    assert response.context["overview"] is None and response.context["accounts"] is None


@pytest.mark.parametrize("persona", ["owner_omar", "auditor_aude", "employee_emil", "officer_olga"])
def test_other_roles_see_no_administration_panels(personas: Any, persona: str) -> None:
    html = _home(personas, persona).content.decode()
    assert "Needs your attention" not in html


def test_it_administrator_sees_failed_runs_but_not_accounts(personas: Any) -> None:
    JobRun.objects.create(job_id="access.clear_sessions", trigger="schedule", status="failed")
    response = _home(personas, "it_ivan")
    assert response.context["failed_runs"].count == 1
    assert response.context["accounts"] is None


def test_tests_due_soon_repeat_no_overdue_test_and_no_excused_one(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    today = timezone.localdate()
    late = Control.objects.create(ref="CTL-LATE", title="Late", owner=omar, status="implemented", next_test_due=today)
    excused = Control.objects.create(ref="CTL-EXCUSED", title="Excused", owner=omar, status="implemented")
    soon = Control.objects.create(ref="CTL-SOON", title="Soon", owner=omar, status="implemented")
    Control.objects.filter(pk=late.pk).update(next_test_due=today - dt.timedelta(days=3))
    ControlTest.objects.create(control=late, due_date=today - dt.timedelta(days=3))
    ControlTest.objects.create(control=excused, due_date=today + dt.timedelta(days=5))
    ControlTest.objects.create(control=soon, due_date=today + dt.timedelta(days=5))
    ComplianceException.objects.create(
        title="Supplier change",
        control=excused,
        reason="Replaced next month",
        requested_by=omar,
        approver=olga,
        status=ComplianceException.Status.APPROVED,
        expires_on=today + dt.timedelta(days=60),
    )
    home = _home(personas, "owner_omar").context["controls_home"]
    assert [c.ref for c in home.overdue] == ["CTL-LATE"]
    assert [t.control.ref for t in home.planned] == ["CTL-SOON"]


def test_a_late_test_assigned_on_someone_elses_control_still_shows(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    today = timezone.localdate()
    control = Control.objects.create(ref="CTL-OLGA", title="Olga's", owner=olga, status="implemented")
    ControlTest.objects.create(control=control, due_date=today - dt.timedelta(days=2), assignee=alice)
    response = _home(personas, "admin_alice")
    home = response.context["controls_home"]
    assert [t.control.ref for t in home.late] == ["CTL-OLGA"] and home.planned == []
    assert "Overdue tests assigned to you" in response.content.decode()


def test_an_auditor_without_an_engagement_gets_no_menu_entry_to_a_refusal(personas: Any) -> None:
    client = personas.client("auditor_aude")
    html = _home(personas, "auditor_aude").content.decode()
    assert reverse("audits:engagement_list") not in html
    assert client.get(reverse("audits:engagement_list")).status_code == 403  # the page the entry led to


@pytest.mark.parametrize("persona", ["admin_alice", "employee_emil", "auditor_aude"])
def test_the_menu_links_to_the_api_documentation(personas: Any, persona: str) -> None:
    html = _home(personas, persona).content.decode()
    assert f'href="{reverse("api-docs")}"' in html


def test_an_auditor_in_an_engagement_finds_the_governance_lists_of_its_scope_in_the_menu(personas: Any) -> None:
    from audits.engagements.services import create_engagement
    from governance.models import Framework, Requirement

    aude = personas["auditor_aude"]
    menu_before = personas.client("auditor_aude").get("/").content.decode()
    framework = Framework.objects.create(key="iso27001", name="ISO 27001")
    Requirement.objects.create(framework=framework, ref_id="A.5.1", title="Policies")
    today = timezone.localdate()
    create_engagement(
        actor=personas["officer_olga"],
        name="Yearly audit",
        start=today - dt.timedelta(days=1),
        end=today + dt.timedelta(days=30),
        frameworks=[framework],
        auditors=[aude],
    )

    menu = personas.client("auditor_aude").get("/").content.decode()

    assert reverse("governance:framework_list") not in menu_before
    assert reverse("governance:framework_list") in menu  # a framework is in scope
    assert reverse("governance:exception_list") not in menu  # no exception is: the list would refuse
    assert personas.client("auditor_aude").get(reverse("governance:framework_list")).status_code == 200
