"""Malformed input to every access form gives a readable 4xx or form error, never a 500.

The test client re-raises any exception a view lets escape, so a 500 fails these tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from access.models import User
from tests.conftest import login, make_persona

NUL = "bad\x00value"
LONG = "x" * 5000

POSTS: list[tuple[str, dict[str, Any]]] = [
    ("access:login", {"username": NUL, "password": NUL}),
    ("access:login", {"username": LONG, "password": LONG}),
    ("access:login", {}),
    ("access:password_change", {"old_password": NUL, "new_password1": LONG, "new_password2": ""}),
    ("access:password_change", {}),
    ("access:mfa_verify", {"otp_token": NUL}),
    ("access:mfa_verify", {"otp_token": LONG}),
    ("access:mfa_verify", {"otp_token": "\uff11\uff12\uff13\uff14\uff15\uff16"}),
    ("access:mfa_verify", {"next": "//evil.example"}),
    ("access:mfa_enrol", {"otp_token": NUL}),
    ("access:mfa_enrol", {"otp_token": "99999999999999999999"}),
    ("access:token_create", {"name": NUL, "days": "1e9"}),
    ("access:token_create", {"name": "   ", "days": "-5"}),
    ("access:token_create", {"name": LONG, "days": "30"}),
    ("access:user_invite", {"email": NUL, "full_name": NUL, "roles": [NUL]}),
    ("access:user_invite", {"email": "not-an-email", "full_name": LONG, "roles": "Administrator"}),
    ("access:user_invite", {"email": "ok@example.test", "full_name": "Ok", "roles": ["Employee", "Nope"]}),
]

GETS = [
    "access:user_list?q=%00&role=Nope&state=maybe&page=abc&sort=password&per_page=-1",
    "access:user_list?page=99999&per_page=99999",
    f"access:user_list?q={'x' * 3000}",
    "access:mfa_verify?next=https://evil.example/",
]


@pytest.fixture
def admin_client(db: Any) -> Client:
    return login(Client(), make_persona("admin_alice"))


@pytest.mark.parametrize(("name", "data"), POSTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(POSTS)])
def test_bad_posts_are_answered_with_a_form(admin_client: Client, name: str, data: dict[str, Any]) -> None:
    before = User.objects.count()
    response = admin_client.post(reverse(name), data)
    assert response.status_code < 500
    if response.status_code == 200:
        assert "invalid-feedback" in response.content.decode() or "alert-danger" in response.content.decode()
    assert User.objects.count() == before


@pytest.mark.parametrize("target", GETS)
def test_bad_query_strings_are_ignored(admin_client: Client, target: str) -> None:
    name, _, query = target.partition("?")
    response = admin_client.get(f"{reverse(name)}?{query}")
    assert response.status_code in (200, 302)


def test_bad_roles_post_on_user_detail(admin_client: Client) -> None:
    other = make_persona("employee_emil")
    url = reverse("access:user_detail", kwargs={"pk": other.pk})
    for data in ({"roles": [NUL]}, {"roles": ["Overlord"]}, {}):
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode()
    assert other.role_names == ["Employee"]


def test_non_numeric_ids_do_not_resolve(admin_client: Client) -> None:
    assert admin_client.get("/users/abc/").status_code == 404
    assert admin_client.post("/accounts/tokens/abc/revoke/").status_code == 404
