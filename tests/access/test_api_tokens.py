"""Personal API tokens: shown once, stored hashed, refused once expired or revoked."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access import services
from access.models import ApiToken

API_ROOT = "/api/v1/"


# The API root admits any signed-in caller (its views may deny further, 403): what matters
# here is authenticated (200 or 403) against refused credentials (401).
SIGNED_IN = {200, 403}


def _api(raw: str) -> int:
    return Client().get(API_ROOT, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code


def _create_through_page(client: Client, name: str = "nightly export", days: int = 30) -> tuple[Any, str]:
    response = client.post(reverse("access:token_create"), {"name": name, "days": days})
    assert response.status_code == 200
    match = re.search(r'value="(rmp_[^"]+)"', response.content.decode())
    assert match is not None, "the raw token is shown after creation"
    return response, match.group(1)


def test_creation_shows_the_raw_token_once_and_stores_only_its_hash(personas: Any) -> None:
    client = personas.client("employee_emil")
    response, raw = _create_through_page(client)
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=personas["employee_emil"])
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608
        dump = " ".join(str(v) for row in cursor.fetchall() for v in row)
    assert raw not in dump
    listing = client.get(reverse("access:token_list")).content.decode()
    assert "nightly export" in listing
    assert token.prefix in listing
    assert raw not in listing


def test_valid_token_authenticates_and_invalid_one_does_not(personas: Any) -> None:
    _, raw = services.create_api_token(user=personas["employee_emil"], name="script")
    assert _api(raw) in SIGNED_IN
    assert _api(raw[:-2] + "xx") == 401
    assert _api("rmp_nonsense") == 401
    assert ApiToken.objects.get().last_used_at is not None


def test_expired_token_is_refused(personas: Any) -> None:
    _, raw = services.create_api_token(user=personas["employee_emil"], name="short", days=1)
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        assert _api(raw) in SIGNED_IN
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert _api(raw) == 401
        page = personas.client("employee_emil").get(reverse("access:token_list")).content.decode()
        assert "Expired" in page


def test_revoked_token_is_refused(personas: Any) -> None:
    client = personas.client("employee_emil")
    _, raw = _create_through_page(client)
    token = ApiToken.objects.get()
    assert _api(raw) in SIGNED_IN
    response = client.post(reverse("access:token_revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _api(raw) == 401
    assert "Revoked" in client.get(reverse("access:token_list")).content.decode()


def test_revoke_needs_post(personas: Any) -> None:
    token, _ = services.create_api_token(user=personas["employee_emil"], name="x")
    response = personas.client("employee_emil").get(reverse("access:token_revoke", kwargs={"pk": token.pk}))
    assert response.status_code == 405


def test_nobody_else_can_revoke_my_token_but_a_user_manager(personas: Any) -> None:
    token, raw = services.create_api_token(user=personas["employee_emil"], name="mine")
    url = reverse("access:token_revoke", kwargs={"pk": token.pk})
    assert personas.client("officer_olga").post(url).status_code == 404
    assert _api(raw) in SIGNED_IN
    response = personas.client("admin_alice").post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("access:user_detail", kwargs={"pk": personas["employee_emil"].pk})
    assert _api(raw) == 401


def test_lifetime_out_of_range_is_a_form_error(personas: Any) -> None:
    client = personas.client("employee_emil")
    for days in ("0", "366", "abc", ""):
        response = client.post(reverse("access:token_create"), {"name": "x", "days": days})
        assert response.status_code == 200
        assert "invalid-feedback" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_empty_list_says_what_to_do(personas: Any) -> None:
    page = personas.client("employee_emil").get(reverse("access:token_list")).content.decode()
    assert "no API tokens yet" in page
