"""Issue 10, item 5: changing a password is throttled like signing in.

The attack was 25 wrong current passwords in 11 seconds, all checked. Now the sign-in
rule applies: ``AXES_FAILURE_LIMIT`` wrong ones within the cool-off, then every attempt
is refused (the right password too) until the cool-off passes; each failure and refusal
is a sign-in event in the audit trail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.models import AuthEvent, User
from tests.access.helpers import audit_entries_for
from tests.conftest import PERSONA_PASSWORD, login

URL = reverse("access:password_change")
NEW = "a rather longer passphrase 42"


def _change(client: Client, old: str) -> Any:
    return client.post(URL, {"old_password": old, "new_password1": NEW, "new_password2": NEW})


def _count(user: User, kind: str) -> int:
    return AuthEvent.objects.filter(user=user, kind=kind).count()


def test_twenty_five_wrong_passwords_are_not_all_checked(personas: Any) -> None:
    emil = personas["employee_emil"]
    client = login(Client(), emil)
    limit = settings.AXES_FAILURE_LIMIT

    statuses = [_change(client, f"wrong guess {n}").status_code for n in range(25)]

    assert _count(emil, AuthEvent.Kind.PASSWORD_CHANGE_FAILED) == limit
    assert _count(emil, AuthEvent.Kind.PASSWORD_CHANGE_LOCKED) == 25 - limit + 1
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert statuses[limit - 1 :] == [429] * (25 - limit + 1)
    locked = _change(client, PERSONA_PASSWORD)  # the right one is refused too while locked
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.content.decode()
    assert User.objects.get(pk=emil.pk).check_password(PERSONA_PASSWORD)
    event = AuthEvent.objects.filter(user=emil, kind=AuthEvent.Kind.PASSWORD_CHANGE_FAILED).first()
    assert event is not None and audit_entries_for(event).exists()


def test_after_the_cool_off_the_right_password_works(personas: Any) -> None:
    emil = personas["employee_emil"]
    client = login(Client(), emil)
    for n in range(settings.AXES_FAILURE_LIMIT):
        _change(client, f"wrong guess {n}")
    assert _change(client, PERSONA_PASSWORD).status_code == 429

    later = timezone.now() + timedelta(hours=settings.AXES_COOLOFF_TIME, seconds=5)
    with time_machine.travel(later, tick=False):
        client = login(Client(), User.objects.get(pk=emil.pk))  # the session of before expired meanwhile
        response = _change(client, PERSONA_PASSWORD)
    assert response.status_code == 302
    assert User.objects.get(pk=emil.pk).check_password(NEW)


def test_a_few_wrong_passwords_then_the_right_one_work_as_before(personas: Any) -> None:
    emil = personas["employee_emil"]
    client = login(Client(), emil)
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _change(client, f"wrong guess {n}")
        assert response.status_code == 200
        assert "not correct" in response.content.decode()
    assert _change(client, PERSONA_PASSWORD).status_code == 302
