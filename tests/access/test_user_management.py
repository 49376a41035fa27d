"""User management by Administrators: invite, roles, deactivate and reactivate."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from access import services
from access.models import ApiToken, Role, User
from tests.access.helpers import is_signed_in, post_sign_in
from tests.conftest import PERSONA_PASSWORD

INVITE = reverse("access:user_invite")


def _detail(user: User) -> str:
    return reverse("access:user_detail", kwargs={"pk": user.pk})


def test_invite_creates_the_account_and_shows_a_working_one_time_password(personas: Any) -> None:
    client = personas.client("admin_alice")
    response = client.post(
        INVITE,
        {"email": "New.Person@Example.test", "full_name": "New Person", "roles": [Role.EMPLOYEE, Role.CONTROL_OWNER]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    user = User.objects.get(email="new.person@example.test")
    assert user.full_name == "New Person"
    assert user.role_names == [Role.CONTROL_OWNER, Role.EMPLOYEE]
    password = re.search(r'id="one-time-password" type="text" readonly value="([^"]+)"', response.content.decode())
    assert password is not None
    assert post_sign_in(Client(), "new.person@example.test", password.group(1)).status_code == 302


def test_duplicate_email_is_a_form_error(personas: Any) -> None:
    client = personas.client("admin_alice")
    before = User.objects.count()
    response = client.post(
        INVITE, {"email": "Employee_Emil@Example.test", "full_name": "Someone", "roles": [Role.EMPLOYEE]}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == before


def test_invite_needs_a_known_role(personas: Any) -> None:
    client = personas.client("admin_alice")
    for roles in ([], ["Overlord"]):
        response = client.post(INVITE, {"email": "x@example.test", "full_name": "X", "roles": roles})
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode()
    assert not User.objects.filter(email="x@example.test").exists()


def test_other_roles_cannot_manage_users(personas: Any) -> None:
    emil = personas["employee_emil"]
    for persona in ("officer_olga", "it_ivan", "employee_emil"):
        client = personas.client(persona)
        invite = {"email": "y@example.test", "full_name": "Y", "roles": [Role.ADMINISTRATOR]}
        assert client.post(INVITE, invite).status_code == 403
        assert client.post(reverse("access:user_deactivate", kwargs={"pk": emil.pk})).status_code == 403
        assert client.post(_detail(emil), {"roles": [Role.ADMINISTRATOR]}).status_code == 403
    emil.refresh_from_db()
    assert emil.is_active
    assert emil.role_names == [Role.EMPLOYEE]
    assert not User.objects.filter(email="y@example.test").exists()


def test_change_roles(personas: Any) -> None:
    emil = personas["employee_emil"]
    response = personas.client("admin_alice").post(_detail(emil), {"roles": [Role.AUDITOR, Role.EMPLOYEE]})
    assert response.status_code == 302
    assert User.objects.get(pk=emil.pk).role_names == [Role.AUDITOR, Role.EMPLOYEE]


def test_detail_shows_current_roles_checked(personas: Any) -> None:
    page = personas.client("admin_alice").get(_detail(personas["officer_olga"])).content.decode()
    assert re.search(r'value="Compliance officer"[^>]*checked', page)
    assert not re.search(r'value="Administrator"[^>]*checked', page)


def test_cannot_remove_own_administrator_role(personas: Any) -> None:
    alice = personas["admin_alice"]
    response = personas.client("admin_alice").post(_detail(alice), {"roles": [Role.EMPLOYEE]})
    assert response.status_code == 200
    assert "cannot remove your own Administrator role" in response.content.decode()
    assert User.objects.get(pk=alice.pk).role_names == [Role.ADMINISTRATOR]


def test_cannot_deactivate_self(personas: Any) -> None:
    alice = personas["admin_alice"]
    client = personas.client("admin_alice")
    response = client.post(reverse("access:user_deactivate", kwargs={"pk": alice.pk}), follow=True)
    assert response.status_code == 200
    assert "cannot deactivate yourself" in response.content.decode()
    assert User.objects.get(pk=alice.pk).is_active


def test_deactivated_user_cannot_sign_in_and_loses_session_and_tokens(personas: Any) -> None:
    emil = personas["employee_emil"]
    _, raw = services.create_api_token(user=emil, name="script")
    emil_session = personas.client("employee_emil")
    admin = personas.client("admin_alice")

    response = admin.post(reverse("access:user_deactivate", kwargs={"pk": emil.pk}))
    assert response.status_code == 302
    emil.refresh_from_db()
    assert not emil.is_active
    assert emil.deactivated_at is not None
    assert User.objects.filter(pk=emil.pk).exists(), "users are never deleted"

    assert emil_session.get(reverse("home")).status_code == 302
    refused = Client()
    assert post_sign_in(refused, emil.email, PERSONA_PASSWORD).status_code == 200
    assert not is_signed_in(refused)
    assert ApiToken.objects.get(user=emil).revoked_at is not None
    assert Client().get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

    assert admin.post(reverse("access:user_reactivate", kwargs={"pk": emil.pk})).status_code == 302
    assert post_sign_in(Client(), emil.email, PERSONA_PASSWORD).status_code == 302


def test_unknown_user_is_404(personas: Any) -> None:
    client = personas.client("admin_alice")
    assert client.get(reverse("access:user_detail", kwargs={"pk": 999999})).status_code == 404
    assert client.post(reverse("access:user_deactivate", kwargs={"pk": 999999})).status_code == 404


def test_list_search_and_filters(personas: Any) -> None:
    personas["owner_omar"].is_active = False
    personas["owner_omar"].save()
    client = personas.client("admin_alice")
    url = reverse("access:user_list")

    def emails(query: str) -> set[str]:
        page = client.get(f"{url}?{query}")
        assert page.status_code == 200
        return set(re.findall(r">([a-z_]+@example\.test)</a>", page.content.decode()))

    assert len(emails("")) == 6
    assert emails("q=EMIL") == {"employee_emil@example.test"}
    assert emails("q=Olga") == {"officer_olga@example.test"}  # by name too
    assert emails("role=IT+administrator") == {"it_ivan@example.test"}
    assert emails("state=deactivated") == {"owner_omar@example.test"}
    assert "owner_omar@example.test" not in emails("state=active")
    assert emails("q=nobody-like-this") == set()
    assert "No user matches" in client.get(f"{url}?q=nobody-like-this").content.decode()


def test_detail_shows_recent_sign_in_events_of_the_account(personas: Any) -> None:
    emil = personas["employee_emil"]
    post_sign_in(Client(), emil.email, "wrong password")
    page = personas.client("admin_alice").get(_detail(emil)).content.decode()
    assert "Sign-in failed" in page
    assert "127.0.0.1" in page
