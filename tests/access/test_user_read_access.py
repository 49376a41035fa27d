"""IT administrators review users' access: they read the user list and a user's page, and change nothing.

The README says IT administrators read users' access; the pages agree: holders of
``access.view_user`` read, only holders of ``access.manage_users`` (Administrators) invite,
change roles, deactivate or revoke a token.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from access import services


def test_it_administrator_reads_the_user_list_without_invite(personas: Any) -> None:
    response = personas.client("it_ivan").get(reverse("access:user_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "employee_emil@example.test" in html
    assert "Invite a user" not in html
    assert 'href="/users/"' in personas.client("it_ivan").get(reverse("home")).content.decode()


def test_it_administrator_reads_a_user_page_read_only(personas: Any) -> None:
    emil = personas["employee_emil"]
    services.create_api_token(user=emil, name="laptop")
    response = personas.client("it_ivan").get(reverse("access:user_detail", args=[emil.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="roles-read-only"' in html and "<li>Employee</li>" in html
    assert "Save roles" not in html and "Deactivate" not in html and "Revoke" not in html
    assert "laptop" in html and "Recent sign-in events" in html


def test_it_administrator_cannot_change_roles(personas: Any) -> None:
    emil = personas["employee_emil"]
    response = personas.client("it_ivan").post(reverse("access:user_detail", args=[emil.pk]), {"roles": ["Auditor"]})
    assert response.status_code == 403
    assert emil.role_names == ["Employee"]
    for name in ("access:user_deactivate", "access:user_reactivate"):
        assert personas.client("it_ivan").post(reverse(name, args=[emil.pk])).status_code == 403
    assert personas.client("it_ivan").get(reverse("access:user_invite")).status_code == 403


def test_the_administrator_still_changes_roles(personas: Any) -> None:
    emil = personas["employee_emil"]
    url = reverse("access:user_detail", args=[emil.pk])
    html = personas.client("admin_alice").get(url).content.decode()
    assert "Save roles" in html and "Deactivate" in html
    assert personas.client("admin_alice").post(url, {"roles": ["Auditor"]}).status_code == 302
    assert emil.role_names == ["Auditor"]


def test_employees_and_owners_still_get_403(personas: Any) -> None:
    for persona in ("employee_emil", "owner_omar", "auditor_aude"):
        assert personas.client(persona).get(reverse("access:user_list")).status_code == 403
