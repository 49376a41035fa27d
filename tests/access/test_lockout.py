"""Sign-in lockout (django-axes): by email and client address, lifted after the cool-off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.access.helpers import is_signed_in, post_sign_in
from tests.conftest import PERSONA_PASSWORD

COOL_OFF = timedelta(hours=settings.AXES_COOLOFF_TIME)


def _fail_until_locked(client: Client, email: str) -> list[int]:
    return [post_sign_in(client, email, "not the password").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]


def test_wrong_passwords_below_the_limit_only_show_the_form_again(personas: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = post_sign_in(client, personas["employee_emil"].email, "not the password")
        assert response.status_code == 200
        assert "correct email address and password" in response.content.decode()
    response = post_sign_in(client, personas["employee_emil"].email, PERSONA_PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)


def test_limit_reached_locks_even_the_right_password_out(personas: Any) -> None:
    client = Client()
    email = personas["employee_emil"].email
    statuses = _fail_until_locked(client, email)
    assert statuses[-1] == 429
    response = post_sign_in(client, email, PERSONA_PASSWORD)
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert not is_signed_in(client)


def test_lockout_is_by_email_and_address(personas: Any) -> None:
    email = personas["employee_emil"].email
    _fail_until_locked(Client(), email)
    # Same address, another account: not locked.
    other = Client()
    assert post_sign_in(other, personas["owner_omar"].email, PERSONA_PASSWORD).status_code == 302
    # Same account, another address: not locked.
    elsewhere = Client(REMOTE_ADDR="192.0.2.10")
    assert post_sign_in(elsewhere, email, PERSONA_PASSWORD).status_code == 302
    # Same account and address: still locked.
    assert post_sign_in(Client(), email, PERSONA_PASSWORD).status_code == 429


def test_forged_forwarded_for_does_not_escape_the_lockout(personas: Any) -> None:
    email = personas["employee_emil"].email
    _fail_until_locked(Client(), email)
    forged = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert post_sign_in(forged, email, PERSONA_PASSWORD).status_code == 429


def test_lockout_lifts_after_the_cool_off(personas: Any) -> None:
    email = personas["employee_emil"].email
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        _fail_until_locked(client, email)
        traveller.shift(COOL_OFF + timedelta(seconds=1))
        response = post_sign_in(client, email, PERSONA_PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        assert is_signed_in(client)


def test_attempts_while_locked_restart_the_cool_off(personas: Any) -> None:
    email = personas["employee_emil"].email
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = Client()
        _fail_until_locked(client, email)
        traveller.shift(COOL_OFF - timedelta(minutes=1))
        assert post_sign_in(client, email, PERSONA_PASSWORD).status_code == 429
        # A full cool-off after the first lock, but not after the last attempt.
        traveller.shift(timedelta(minutes=2))
        assert post_sign_in(client, email, PERSONA_PASSWORD).status_code == 429
        traveller.shift(COOL_OFF + timedelta(seconds=1))
        assert post_sign_in(client, email, PERSONA_PASSWORD).status_code == 302
