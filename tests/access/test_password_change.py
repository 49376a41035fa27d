"""Changing one's password: validators apply, other sessions end, this one stays."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from access.models import AuthEvent, User
from tests.access.helpers import post_sign_in
from tests.conftest import PERSONA_PASSWORD, login

URL = reverse("access:password_change")
NEW_PASSWORD = "a rather longer passphrase 42"


def _change(client: Client, old: str, new: str, again: str | None = None) -> Any:
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again or new})


def test_change_keeps_this_session_and_ends_the_others(personas: Any) -> None:
    emil = personas["employee_emil"]
    here, elsewhere = login(Client(), emil), login(Client(), emil)
    assert elsewhere.get(reverse("home")).status_code == 200

    response = _change(here, PERSONA_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("access:account")

    assert here.get(reverse("home")).status_code == 200
    ended = elsewhere.get(reverse("home"))
    assert ended.status_code == 302
    assert ended["Location"].startswith(reverse("access:login"))
    emil.refresh_from_db()
    assert emil.check_password(NEW_PASSWORD)
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.PASSWORD_CHANGED, user=emil).exists()
    assert post_sign_in(Client(), emil.email, NEW_PASSWORD).status_code == 302


def test_administrator_stays_verified_after_the_change(personas: Any) -> None:
    client = personas.client("admin_alice")
    assert _change(client, PERSONA_PASSWORD, NEW_PASSWORD).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_an_eleven_character_password_is_refused(personas: Any) -> None:
    client = personas.client("employee_emil")
    short = "Vq7#kLm2$xZ"
    assert len(short) == 11
    response = _change(client, PERSONA_PASSWORD, short)
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert User.objects.get(email="employee_emil@example.test").check_password(PERSONA_PASSWORD)


def test_common_and_numeric_passwords_are_refused(personas: Any) -> None:
    client = personas.client("employee_emil")
    for weak in ("qwerty123456", "839201746352"):
        response = _change(client, PERSONA_PASSWORD, weak)
        assert response.status_code == 200
        assert "alert-danger" in response.content.decode()
    assert personas["employee_emil"].check_password(PERSONA_PASSWORD)


def test_wrong_current_password_is_refused(personas: Any) -> None:
    response = _change(personas.client("employee_emil"), "not my password", NEW_PASSWORD)
    assert response.status_code == 200
    assert "current password is not correct" in response.content.decode()


def test_the_two_new_passwords_must_match(personas: Any) -> None:
    response = _change(personas.client("employee_emil"), PERSONA_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert response.status_code == 200
    assert "The two new passwords differ" in response.content.decode()
