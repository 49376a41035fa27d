"""Issue 10, items 1 and 10: what an API token can do, and when sessions and tokens end.

A token carries no more than its owner can do with the second factor they have; a change
of roles, password or second factor (and a deactivation) revokes the tokens and ends the
other sessions. Each test performs the attack of the issue.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from access import services
from access.models import ApiToken, AuthEvent, Role, TOTPDevice, User
from tests.access.test_mfa import _code
from tests.api.conftest import bearer, post_json, token_client
from tests.conftest import PERSONA_PASSWORD, login

USERS = "/api/v1/users/"
ACCOUNT = reverse("access:account")


def _signed_out(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("access:login"))


def test_an_employee_token_does_not_become_an_administrator_token(personas: Any) -> None:
    """The attack: Emil's token, made as an Employee, lists users and creates an Administrator
    once Emil is given the Administrator role, without MFA ever being passed."""
    emil = personas["employee_emil"]
    client, _ = token_client(emil)
    assert client.get(USERS).status_code == 403

    alice = personas.client("admin_alice")
    url = reverse("user-change-roles", kwargs={"pk": emil.pk})
    assert post_json(alice, url, {"roles": [Role.ADMINISTRATOR]}).status_code == 200

    assert client.get(USERS).status_code == 401
    created = post_json(client, USERS, {"email": "mallory@example.test", "full_name": "M", "roles": ["Administrator"]})
    assert created.status_code == 401
    assert not User.objects.filter(email="mallory@example.test").exists()
    assert ApiToken.objects.get(user=emil).revoked_at is not None


def test_a_token_of_an_owner_whose_role_needs_mfa_but_who_has_none_is_refused(personas: Any) -> None:
    """Even when a role is given behind the services' back (break-glass, a script), the token
    of someone whose roles require MFA and who never enrolled does nothing."""
    emil = personas["employee_emil"]
    client, _ = token_client(emil)
    emil.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))

    response = client.get(USERS)

    assert response.status_code == 403
    assert "authenticator" in response.json()["detail"]
    assert client.get("/api/v1/me/").status_code == 403


def test_no_token_is_made_for_an_mfa_role_without_an_authenticator(db: Any) -> None:
    from tests.conftest import make_persona

    ivan = make_persona("it_ivan", mfa=False)
    try:
        services.create_api_token(user=ivan, name="x")
    except services.PermissionDeniedError as exc:
        assert "authenticator" in str(exc)
    else:
        raise AssertionError("a token was made for an IT administrator without MFA")


def test_an_administrator_with_mfa_keeps_a_working_token(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])
    assert client.get(USERS).status_code == 200


def _sessions_and_token(user: User) -> tuple[Client, Client]:
    session = login(Client(), user)
    assert session.get(ACCOUNT).status_code == 200
    token, _ = token_client(user)
    assert token.get("/api/v1/me/").status_code == 200
    return session, token


def _ended(session: Client, token: Client, user: User) -> None:
    assert _signed_out(session.get(ACCOUNT)), "the session from before still works"
    assert token.get("/api/v1/me/").status_code == 401, "the token from before still works"
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.SESSIONS_ENDED).exists()


def test_a_change_of_roles_ends_sessions_and_tokens(personas: Any) -> None:
    olga = personas["officer_olga"]
    session, token = _sessions_and_token(olga)
    services.change_user_roles(actor=personas["admin_alice"], user=olga, roles=[Role.EMPLOYEE])
    _ended(session, token, olga)


def test_saving_the_same_roles_ends_nothing(personas: Any) -> None:
    olga = personas["officer_olga"]
    session, token = _sessions_and_token(olga)
    services.change_user_roles(actor=personas["admin_alice"], user=olga, roles=[Role.COMPLIANCE_OFFICER])
    assert session.get(ACCOUNT).status_code == 200
    assert token.get("/api/v1/me/").status_code == 200


def test_a_password_change_revokes_tokens_and_ends_other_sessions(personas: Any) -> None:
    emil = personas["employee_emil"]
    session, token = _sessions_and_token(emil)
    here = login(Client(), emil)
    new = "a rather longer passphrase 42"
    response = here.post(
        reverse("access:password_change"),
        {"old_password": PERSONA_PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    _ended(session, token, emil)
    assert here.get(ACCOUNT).status_code == 200  # the session that changed it stays


def test_a_password_set_outside_the_services_ends_tokens_too(personas: Any) -> None:
    """A reset by break-glass or a command (``set_password`` + ``save``) raises the epoch as well."""
    emil = personas["employee_emil"]
    session, token = _sessions_and_token(emil)
    fresh = User.objects.get(pk=emil.pk)
    fresh.set_password("another long passphrase 7")
    fresh.save()
    assert _signed_out(session.get(ACCOUNT))
    assert token.get("/api/v1/me/").status_code == 401


def test_deactivation_ends_sessions_and_reactivation_does_not_bring_them_back(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    session, token = _sessions_and_token(olga)
    services.deactivate_user(actor=alice, user=olga)
    services.reactivate_user(actor=alice, user=User.objects.get(pk=olga.pk))
    _ended(session, token, olga)


def test_voluntary_enrolment_ends_the_other_sessions_and_keeps_this_one(personas: Any) -> None:
    """Item 10: a session opened before Emil enrolled an authenticator kept working without it."""
    emil = personas["employee_emil"]
    earlier, token = _sessions_and_token(emil)
    here = login(Client(), emil)
    assert here.get(reverse("access:mfa_enrol")).status_code == 200
    device = TOTPDevice.objects.get(user=emil, confirmed=False)

    response = here.post(reverse("access:mfa_enrol"), {"otp_token": _code(device)})

    assert response.status_code == 200
    assert "recovery" in response.content.decode().lower()
    _ended(earlier, token, emil)
    assert here.get(ACCOUNT).status_code == 200


def test_an_old_token_sent_with_a_fresh_one_of_another_user_changes_nothing(personas: Any) -> None:
    """Tokens are per user: raising Emil's epoch leaves Olga's token alone."""
    olga_client, _ = token_client(personas["officer_olga"])
    services.change_user_roles(actor=personas["admin_alice"], user=personas["employee_emil"], roles=[Role.AUDITOR])
    assert olga_client.get("/api/v1/me/").status_code == 200
    assert Client(headers=bearer("rmp_nonsense")).get("/api/v1/me/").status_code == 401
