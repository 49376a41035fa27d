"""Personal API tokens: created once, stored hashed, refused when expired, revoked or deactivated."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from access.models import ApiToken
from access.services import create_api_token, deactivate_user, revoke_api_token
from tests.api.conftest import bearer, post_json, token_client

TOKENS = "/api/v1/tokens/"
ME = "/api/v1/me/"


def _detail(token: ApiToken) -> str:
    return f"{TOKENS}{token.pk}/"


def test_create_via_api_shows_the_raw_token_once_and_stores_only_its_hash(personas: Any) -> None:
    client = personas.client("employee_emil")

    response = post_json(client, TOKENS, {"name": "CI pipeline", "days": 30})

    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["token"]
    assert raw.startswith("rmp_") and len(raw) > 40
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == personas["employee_emil"]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.prefix, token.token_hash}
    assert body["prefix"] == raw[:12] == token.prefix
    assert body["is_active"] is True
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    # Never again: not in the list, not in the detail, and no hash anywhere.
    for url in (TOKENS, _detail(token)):
        text = client.get(url).content.decode()
        assert raw not in text
        assert token.token_hash not in text
        assert "token_hash" not in text
    # The raw value works as a bearer token.
    me = Client(headers=bearer(raw)).get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "employee_emil@example.test"
    assert me.json()["authenticated_by"] == "token"


def test_a_token_made_with_the_pages_service_works_and_records_when_it_was_last_used(personas: Any) -> None:
    emil = personas["employee_emil"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client, _ = token_client(emil)
        token = ApiToken.objects.get(user=emil)
        assert token.last_used_at is None

        assert client.get(ME).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start

        # Within a minute it is not written again (no write on every call) ...
        traveller.shift(timedelta(seconds=30))
        assert client.get(ME).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start

        # ... after that it is.
        traveller.shift(timedelta(minutes=2))
        assert client.get(ME).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at == start + timedelta(seconds=150)


def test_an_expired_token_is_refused(personas: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client, _ = token_client(personas["employee_emil"], days=1)
        assert client.get(ME).status_code == 200

        traveller.shift(timedelta(days=1, seconds=1))
        response = client.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "expired" in response.json()["detail"]


def test_a_token_revoked_with_delete_is_refused_and_kept_for_history(personas: Any) -> None:
    client, _ = token_client(personas["employee_emil"])
    token = ApiToken.objects.get(user=personas["employee_emil"])

    response = client.delete(_detail(token))

    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(ME).status_code == 401


def test_a_token_revoked_with_the_revoke_action_is_refused(personas: Any) -> None:
    emil = personas["employee_emil"]
    session = personas.client("employee_emil")
    other_client, _ = token_client(emil)
    token = ApiToken.objects.get(user=emil)

    response = session.post(f"{_detail(token)}revoke/")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["revoked_at"] is not None
    assert other_client.get(ME).status_code == 401


def test_a_token_revoked_with_the_pages_service_is_refused(personas: Any) -> None:
    emil = personas["employee_emil"]
    client, _ = token_client(emil)
    revoke_api_token(user=emil, token=ApiToken.objects.get(user=emil))

    assert client.get(ME).status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(personas: Any) -> None:
    emil = personas["employee_emil"]
    client, _ = token_client(emil)
    assert client.get(ME).status_code == 200

    deactivate_user(actor=personas["admin_alice"], user=emil)

    assert client.get(ME).status_code == 401


def test_a_live_token_of_an_inactive_account_is_refused_too(personas: Any) -> None:
    """Even if the token was somehow not revoked, an inactive account cannot use it."""
    emil = personas["employee_emil"]
    client, _ = token_client(emil)
    type(emil).objects.filter(pk=emil.pk).update(is_active=False)

    response = client.get(ME)

    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer rmp_one rmp_two", "Bearer rmp_not-a-real-token", "Token rmp_not-a-real-token"],
)
def test_malformed_or_unknown_tokens_are_refused(personas: Any, header: str) -> None:
    response = Client(headers={"Authorization": header}).get(ME)

    assert response.status_code == 401
    assert response.json()["detail"]


def test_nobody_reads_or_revokes_another_persons_token(personas: Any) -> None:
    token, _ = create_api_token(user=personas["employee_emil"], name="emil's")
    # Not even an Administrator, through the API: it is not theirs.
    alice, _ = token_client(personas["admin_alice"])

    assert alice.get(_detail(token)).status_code == 404
    assert alice.delete(_detail(token)).status_code == 404
    assert alice.post(f"{_detail(token)}revoke/").status_code == 404
    listed = alice.get(TOKENS).json()["results"]
    assert token.pk not in {t["id"] for t in listed}
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_cannot_create_another_token(personas: Any) -> None:
    client, _ = token_client(personas["employee_emil"])

    response = post_json(client, TOKENS, {"name": "second"})

    assert response.status_code == 403
    assert "session" in response.json()["detail"]
    assert ApiToken.objects.filter(user=personas["employee_emil"]).count() == 1


def test_token_list_costs_the_same_queries_for_1_and_50_tokens(personas: Any, django_assert_num_queries: Any) -> None:
    emil = personas["employee_emil"]
    client, _ = token_client(emil)
    client.get(ME)  # records last use now, so the list calls below do not write

    # The token (with its user), the count, the page.
    with django_assert_num_queries(3):
        assert len(client.get(TOKENS).json()["results"]) == 1
    for n in range(49):
        create_api_token(user=emil, name=f"t{n}")
    with django_assert_num_queries(3):
        assert len(client.get(TOKENS).json()["results"]) == 50
