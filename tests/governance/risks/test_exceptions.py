"""Exceptions: requested by one person, decided by another, time-boxed, expired by the daily job."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from core.jobs_registry import get_job
from governance.models import ComplianceException, Control, Framework, Requirement
from governance.selectors.exceptions import expired, expiring_within, in_force
from governance.services.exceptions import decide_exception, expire_exceptions, request_exception, revoke_exception
from tests.governance.risks.conftest import in_days

pytestmark = pytest.mark.django_db


@pytest.fixture
def requirement(db: Any) -> Requirement:
    framework = Framework.objects.create(key="baseline", name="Back-office baseline")
    return Requirement.objects.create(framework=framework, ref_id="BO-4.1", title="Patch within 30 days")


def _request(actor: Any, requirement: Requirement, days: int = 60) -> ComplianceException:
    return request_exception(
        actor=actor,
        title="Legacy payroll server cannot be patched",
        reason="Vendor certifies only the current OS build until the March release.",
        expires_on=in_days(days),
        requirement=requirement,
        compensating_measures="Isolated VLAN; no internet access.",
    )


def test_request_and_approve(personas: Any, requirement: Requirement) -> None:
    exception = _request(personas["officer_olga"], requirement)
    assert (exception.status, exception.requested_by) == ("requested", personas["officer_olga"])
    decided = decide_exception(actor=personas["admin_alice"], exception=exception, approve=True, note="Until March")
    assert (decided.status, decided.approver, decided.decision_note) == (
        "approved",
        personas["admin_alice"],
        "Until March",
    )
    assert ComplianceException.objects.filter(in_force()).count() == 1


def test_the_requester_never_approves_their_own_exception(personas: Any, requirement: Requirement) -> None:
    olga = personas["officer_olga"]
    exception = _request(olga, requirement)
    with pytest.raises(SegregationOfDutiesError):
        decide_exception(actor=olga, exception=exception, approve=True, note="")
    with pytest.raises(SegregationOfDutiesError):
        decide_exception(actor=olga, exception=exception, approve=False, note="Changed my mind")
    assert ComplianceException.objects.get(pk=exception.pk).status == "requested"


def test_the_requester_gets_403_on_the_decision_page_and_api(personas: Any, requirement: Requirement) -> None:
    exception = _request(personas["officer_olga"], requirement)
    client = personas.client("officer_olga")
    page = client.post(reverse("governance:exception_decide", kwargs={"pk": exception.pk}), {"decision": "approve"})
    assert page.status_code == 403
    api = client.post(f"/api/v1/exceptions/{exception.pk}/decide/", {"approve": True}, content_type="application/json")
    assert api.status_code == 403
    assert "someone else must decide" in api.json()["detail"]
    ok = personas.client("admin_alice").post(
        reverse("governance:exception_decide", kwargs={"pk": exception.pk}), {"decision": "approve", "note": ""}
    )
    assert ok.status_code == 302
    assert ComplianceException.objects.get(pk=exception.pk).status == "approved"


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "The exception must end in the future."),
        (-3, "The exception must end in the future."),
        (366, "An exception lasts at most a year; pick an earlier date."),
    ],
)
def test_expiry_is_in_the_future_within_a_year(
    personas: Any, requirement: Requirement, days: int, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _request(personas["officer_olga"], requirement, days=days)
    assert caught.value.message_dict == {"expires_on": [message]}


def test_an_exception_covers_something(personas: Any, requirement: Requirement) -> None:
    with pytest.raises(ValidationError) as caught:
        request_exception(actor=personas["officer_olga"], title="t", reason="r", expires_on=in_days(10))
    assert list(caught.value.message_dict) == ["requirement"]
    requirement.removed_at = timezone.now()
    requirement.save()
    with pytest.raises(ValidationError):
        _request(personas["officer_olga"], requirement)


def test_only_officers_request_and_decide(personas: Any, requirement: Requirement) -> None:
    with pytest.raises(PermissionDeniedError):
        _request(personas["it_ivan"], requirement)
    exception = _request(personas["officer_olga"], requirement)
    with pytest.raises(PermissionDeniedError):
        decide_exception(actor=personas["it_ivan"], exception=exception, approve=True)


def test_rejecting_needs_a_note_and_decisions_happen_once(personas: Any, requirement: Requirement) -> None:
    alice = personas["admin_alice"]
    exception = _request(personas["officer_olga"], requirement)
    with pytest.raises(ValidationError) as caught:
        decide_exception(actor=alice, exception=exception, approve=False, note="  ")
    assert list(caught.value.message_dict) == ["note"]
    decide_exception(actor=alice, exception=exception, approve=False, note="Patch it instead.")
    with pytest.raises(DomainError):
        decide_exception(actor=alice, exception=exception, approve=True)


def test_revoke_ends_an_approved_exception(personas: Any, requirement: Requirement) -> None:
    alice = personas["admin_alice"]
    exception = _request(personas["officer_olga"], requirement)
    decide_exception(actor=alice, exception=exception, approve=True)
    revoked = revoke_exception(actor=alice, exception=exception, note="Server replaced")
    assert revoked.status == "revoked"
    assert not ComplianceException.objects.filter(in_force()).exists()
    with pytest.raises(DomainError):
        revoke_exception(actor=alice, exception=exception, note="again")


def _approved(personas: Any, requirement: Requirement, days: int) -> ComplianceException:
    exception = _request(personas["officer_olga"], requirement, days=days)
    return decide_exception(actor=personas["admin_alice"], exception=exception, approve=True)


def test_expiry_by_the_service_with_time_moving(personas: Any, requirement: Requirement) -> None:
    exception = _approved(personas, requirement, days=10)
    ends = exception.expires_on
    control = Control.objects.create(ref="CTL-1", title="Patch management")
    other = request_exception(
        actor=personas["officer_olga"], title="Still requested", reason="r", expires_on=in_days(5), control=control
    )
    on_last_day = datetime.combine(ends, datetime.min.time(), tzinfo=timezone.get_current_timezone()) + timedelta(
        hours=12
    )
    with time_machine.travel(on_last_day, tick=False):
        assert expire_exceptions() == 0
        assert ComplianceException.objects.filter(in_force()).count() == 1
        assert list(expiring_within(personas["officer_olga"], days=1)) == [exception]
    with time_machine.travel(on_last_day + timedelta(days=1), tick=False):
        assert list(expired(personas["officer_olga"])) == [exception]  # past its date, not yet marked
        assert not ComplianceException.objects.filter(in_force()).exists()
        assert expire_exceptions() == 1
        assert expire_exceptions() == 0
    exception.refresh_from_db()
    other.refresh_from_db()
    assert (exception.status, other.status) == ("expired", "requested")


def test_expiry_by_the_daily_job(personas: Any, requirement: Requirement) -> None:
    exception = _approved(personas, requirement, days=3)
    job = get_job("governance.expire_exceptions")
    assert job is not None and job.cron
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert job.func(None) == "Expired 1 exception(s)."
    exception.refresh_from_db()
    assert exception.status == ComplianceException.Status.EXPIRED


def test_expire_with_an_explicit_day(personas: Any, requirement: Requirement) -> None:
    exception = _approved(personas, requirement, days=3)
    assert expire_exceptions(today=exception.expires_on) == 0
    assert expire_exceptions(today=exception.expires_on + timedelta(days=1)) == 1
    assert isinstance(exception.expires_on, date)


def test_exception_pages(personas: Any, requirement: Requirement) -> None:
    client = personas.client("officer_olga")
    response = client.post(
        reverse("governance:exception_request"),
        {
            "title": "Old scanner",
            "requirement": str(requirement.pk),  # picked by typing (the requirement picker)
            "reason": "Waiting for the replacement",
            "expires_on": in_days(20).isoformat(),
        },
    )
    assert response.status_code == 302
    exception = ComplianceException.objects.get(title="Old scanner")
    assert (exception.requirement, exception.requested_by) == (requirement, personas["officer_olga"])
    bad = client.post(
        reverse("governance:exception_request"),
        {"title": "x", "requirement": "999999", "reason": "r", "expires_on": "soon"},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Requirement: choose one the search offers" in html and "Enter a valid date" in html
    detail = client.get(reverse("governance:exception_detail", kwargs={"pk": exception.pk}))
    assert "another person decides it" in detail.content.decode()
    listing = personas.client("it_ivan").get(reverse("governance:exception_list"), {"expiry": "30"})
    assert listing.status_code == 200
    assert "Old scanner" not in listing.content.decode()  # requested, not yet in force
    assert personas.client("it_ivan").get(reverse("governance:exception_request")).status_code == 403
