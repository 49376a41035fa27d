"""API sessions need the second factor whenever the pages do, voluntary enrolments included."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from access.models import TOTPDevice
from tests.conftest import make_persona

ME = "/api/v1/me/"


def test_employee_without_authenticator_uses_the_api_with_a_session(db: Any) -> None:
    client = Client()
    client.force_login(make_persona("employee_emil"))
    assert client.get(ME).status_code == 200


def test_voluntary_authenticator_must_be_passed_before_the_api_answers(db: Any) -> None:
    emil = make_persona("employee_emil", mfa=True)
    client = Client()
    client.force_login(emil)  # signs in: the second factor is now due

    refused = client.get(ME)
    assert refused.status_code == 403
    assert "multi-factor" in refused.json()["detail"]

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=emil).persistent_id
    session.save()
    assert client.get(ME).status_code == 200
