"""Sign-in, failure, lockout and sign-out leave an AuthEvent and an audit-trail entry."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry as BaseLogEntry
from django.conf import settings
from django.test import Client
from django.urls import reverse

from access.models import AuthEvent
from tests.access.helpers import audit_entries_for, post_sign_in
from tests.conftest import PERSONA_PASSWORD


def test_successful_sign_in_is_recorded_and_audited(personas: Any) -> None:
    emil = personas["employee_emil"]
    response = post_sign_in(Client(HTTP_USER_AGENT="pytest-browser"), emil.email, PERSONA_PASSWORD)
    assert response.status_code == 302
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.SIGN_IN)
    assert event.user == emil
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "pytest-browser"
    entry = audit_entries_for(event).get()
    assert entry.action == BaseLogEntry.Action.CREATE


def test_failed_sign_in_is_recorded_with_the_typed_name_and_audited(personas: Any) -> None:
    response = post_sign_in(Client(), "employee_emil@example.test", "wrong password")
    assert response.status_code == 200
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.SIGN_IN_FAILED)
    assert event.username == "employee_emil@example.test"
    assert event.user == personas["employee_emil"], "linked to the account, for its managers to see"
    assert audit_entries_for(event).count() == 1
    assert not AuthEvent.objects.filter(kind=AuthEvent.Kind.SIGN_IN).exists()


def test_unknown_account_failure_is_recorded_too(db: Any) -> None:
    post_sign_in(Client(), "nobody@example.test", "whatever it is")
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.SIGN_IN_FAILED)
    assert event.username == "nobody@example.test"
    assert event.user is None
    assert audit_entries_for(event).exists()


def test_lockout_is_recorded_and_audited(personas: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_sign_in(client, "employee_emil@example.test", "wrong password")
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.LOCKED_OUT)
    assert event.username == "employee_emil@example.test"
    assert event.ip_address == "127.0.0.1"
    assert audit_entries_for(event).count() == 1
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.SIGN_IN_FAILED).count() == settings.AXES_FAILURE_LIMIT


def test_sign_out_is_recorded(personas: Any) -> None:
    client = personas.client("employee_emil")
    response = client.post(reverse("access:logout"))
    assert response.status_code == 302
    event = AuthEvent.objects.get(kind=AuthEvent.Kind.SIGN_OUT)
    assert event.user == personas["employee_emil"]
    assert audit_entries_for(event).exists()
