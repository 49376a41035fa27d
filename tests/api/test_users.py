"""User management through the API: Administrators only, through the pages' services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from access.models import ApiToken, Role, User
from access.services import create_api_token, deactivate_user
from audits.models import LogEntry
from tests.api.conftest import post_json, token_client
from tests.conftest import PERSONAS

USERS = "/api/v1/users/"


def _url(user: User, action: str = "") -> str:
    return f"{USERS}{user.pk}/{action + '/' if action else ''}"


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "admin_alice"])
def test_other_roles_get_403_even_on_reads(personas: Any, persona: str) -> None:
    """Compliance officers and IT administrators may view users in Django terms, but not manage them."""
    client, _ = token_client(personas[persona])
    emil = personas["employee_emil"]

    assert client.get(USERS).status_code == 403
    assert client.get(_url(emil)).status_code == 403
    assert post_json(client, _url(emil, "roles"), {"roles": [Role.ADMINISTRATOR]}).status_code == 403
    assert client.post(_url(personas["admin_alice"], "deactivate")).status_code == 403
    invite = {"email": "x@example.test", "full_name": "X", "roles": [Role.EMPLOYEE]}
    assert post_json(client, USERS, invite).status_code == 403
    assert not User.objects.filter(email="x@example.test").exists()
    assert set(emil.role_names) == {Role.EMPLOYEE}


def test_admin_lists_users_with_search_and_filters(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])
    deactivate_user(actor=personas["admin_alice"], user=personas["owner_omar"])

    everyone = client.get(USERS).json()
    assert everyone["count"] == 6
    alice = next(u for u in everyone["results"] if u["email"] == "admin_alice@example.test")
    assert alice["roles"] == [Role.ADMINISTRATOR]
    assert alice["mfa_enrolled"] is True
    assert "password" not in alice

    def emails(query: str) -> set[str]:
        response = client.get(f"{USERS}?{query}")
        assert response.status_code == 200, response.content
        return {u["email"] for u in response.json()["results"]}

    assert emails("q=IVAN") == {"it_ivan@example.test"}
    assert emails("q=Olga") == {"officer_olga@example.test"}
    assert emails("role=Auditor") == {"auditor_aude@example.test"}
    assert emails("is_active=false") == {"owner_omar@example.test"}
    assert len(emails("is_active=true")) == 5
    assert emails("q=example&role=Employee&is_active=true") == {"employee_emil@example.test"}


def test_admin_reads_one_user(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])

    response = client.get(_url(personas["employee_emil"]))

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "employee_emil@example.test"
    assert body["roles"] == [Role.EMPLOYEE]
    assert body["mfa_enrolled"] is False
    assert body["is_active"] is True
    assert client.get(f"{USERS}999999/").status_code == 404


def test_admin_invites_a_user_and_the_audit_trail_names_the_admin(personas: Any) -> None:
    alice = personas["admin_alice"]
    client, _ = token_client(alice)

    response = post_json(
        client,
        USERS,
        {"email": " New.Person@Example.test", "full_name": "New Person", "roles": ["Employee", "Employee"]},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(email="new.person@example.test")
    assert body["user"]["id"] == user.pk
    assert body["user"]["roles"] == [Role.EMPLOYEE]
    assert user.check_password(body["initial_password"])
    assert user.password not in response.content.decode()
    entry = LogEntry.objects.filter(object_pk=str(user.pk), content_type__model="user").order_by("sequence").first()
    assert entry is not None
    assert entry.actor == alice


def test_inviting_an_existing_email_is_a_clear_400(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])

    response = post_json(
        client, USERS, {"email": "EMPLOYEE_EMIL@example.test", "full_name": "Twin", "roles": [Role.EMPLOYEE]}
    )

    assert response.status_code == 400
    assert "already exists" in response.json()["detail"]


def test_admin_changes_roles(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])
    emil = personas["employee_emil"]

    response = post_json(client, _url(emil, "roles"), {"roles": [Role.CONTROL_OWNER, Role.EMPLOYEE]})

    assert response.status_code == 200, response.content
    assert response.json()["roles"] == [Role.CONTROL_OWNER, Role.EMPLOYEE]
    assert set(emil.groups.values_list("name", flat=True)) == {Role.CONTROL_OWNER, Role.EMPLOYEE}


def test_an_admin_cannot_drop_their_own_administrator_role(personas: Any) -> None:
    alice = personas["admin_alice"]
    client, _ = token_client(alice)

    response = post_json(client, _url(alice, "roles"), {"roles": [Role.EMPLOYEE]})

    assert response.status_code == 400
    assert "own Administrator role" in response.json()["detail"]
    assert alice.groups.filter(name=Role.ADMINISTRATOR).exists()


def test_deactivate_and_reactivate(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])
    emil = personas["employee_emil"]
    create_api_token(user=emil, name="emil's")

    response = client.post(_url(emil, "deactivate"))

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["deactivated_at"] is not None
    emil.refresh_from_db()
    assert not emil.is_active
    assert not ApiToken.objects.filter(user=emil, revoked_at__isnull=True).exists()

    response = client.post(_url(emil, "reactivate"))

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    emil.refresh_from_db()
    assert emil.is_active
    assert emil.deactivated_at is None


def test_an_admin_cannot_deactivate_themselves(personas: Any) -> None:
    alice = personas["admin_alice"]
    client, _ = token_client(alice)

    response = client.post(_url(alice, "deactivate"))

    assert response.status_code == 400
    assert "yourself" in response.json()["detail"]
    alice.refresh_from_db()
    assert alice.is_active


def test_a_role_removed_takes_effect_on_the_next_call(personas: Any) -> None:
    """A change of roles revokes the user's tokens: the old token is refused at its next call."""
    other_admin = personas["it_ivan"]
    other_admin.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))
    client, _ = token_client(other_admin)
    assert client.get(USERS).status_code == 200

    post_json(personas.client("admin_alice"), _url(other_admin, "roles"), {"roles": [Role.IT_ADMINISTRATOR]})

    assert client.get(USERS).status_code == 401
    assert not ApiToken.objects.filter(user=other_admin, revoked_at__isnull=True).exists()


def test_user_list_costs_the_same_queries_for_1_and_50_users(personas: Any, django_assert_num_queries: Any) -> None:
    client, _ = token_client(personas["admin_alice"])
    client.get("/api/v1/me/")  # records last use now, so the calls below do not write
    group = Group.objects.get(name=Role.EMPLOYEE)

    # token+user, permissions (own and roles', one query), count, page, roles prefetch
    User.objects.create(email="bulk0@example.test", full_name="Bulk 0").groups.add(group)
    with django_assert_num_queries(5):
        assert len(client.get(f"{USERS}?q=bulk").json()["results"]) == 1
    for n in range(1, 50):
        User.objects.create(email=f"bulk{n}@example.test", full_name=f"Bulk {n}").groups.add(group)
    with django_assert_num_queries(5):
        assert len(client.get(f"{USERS}?q=bulk").json()["results"]) == 50
