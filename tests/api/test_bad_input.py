"""Bad input gives a 400 that names the field (or says the body is not JSON), never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from access.models import ApiToken, Role, User
from tests.api.conftest import post_json, token_client

TOKENS = "/api/v1/tokens/"
USERS = "/api/v1/users/"


@pytest.mark.parametrize(
    "body",
    ['{"name": "unterminated', "{'name': 'single quotes'}", "", "not json at all", '{"name": "x"} trailing'],
)
def test_malformed_json_is_a_400_that_says_so(personas: Any, body: str) -> None:
    client = personas.client("employee_emil")

    response = client.post(TOKENS, data=body, content_type="application/json")

    assert response.status_code == 400
    detail = response.json()
    # An empty body is valid "no data" for DRF, so it names the missing field instead.
    assert "JSON parse error" in detail.get("detail", "") or "name" in detail
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "required"),
        ({"name": ""}, "name", "blank"),
        ({"name": "   "}, "name", "blank"),
        ({"name": ["a", "list"]}, "name", "valid string"),
        ({"name": {"an": "object"}}, "name", "valid string"),
        ({"name": "x" * 101}, "name", "100 characters"),
        ({"name": "nul\u0000byte"}, "name", "Null characters"),
        ({"name": "ok", "days": "many"}, "days", "valid integer"),
        ({"name": "ok", "days": 0}, "days", "greater than or equal to 1"),
        ({"name": "ok", "days": 366}, "days", "less than or equal to 365"),
        ({"name": "ok", "days": 1.5}, "days", "valid integer"),
        ({"name": "ok", "days": None}, "days", "may not be null"),
    ],
)
def test_wrong_token_fields_are_named(personas: Any, body: Any, field: str, message: str) -> None:
    client = personas.client("employee_emil")

    response = post_json(client, TOKENS, body)

    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("body", [[], ["name"], "a string", 42, None])
def test_a_body_that_is_not_an_object_is_a_400(personas: Any, body: Any) -> None:
    client = personas.client("employee_emil")

    response = client.post(TOKENS, data=json.dumps(body), content_type="application/json")

    assert response.status_code == 400
    errors = response.json()
    message = " ".join(errors["non_field_errors"])
    assert "Invalid data. Expected a dictionary" in message or "No data provided" in message, errors


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"full_name": "No Email", "roles": [Role.EMPLOYEE]}, "email"),
        ({"email": "not-an-email", "full_name": "X", "roles": [Role.EMPLOYEE]}, "email"),
        ({"email": 12, "full_name": "X", "roles": [Role.EMPLOYEE]}, "email"),
        ({"email": "a@example.test", "full_name": "X", "roles": []}, "roles"),
        ({"email": "a@example.test", "full_name": "X", "roles": "Employee"}, "roles"),
        ({"email": "a@example.test", "full_name": "X", "roles": ["King"]}, "roles"),
        ({"email": "a@example.test", "full_name": "X", "roles": [None]}, "roles"),
        ({"email": "a@example.test", "full_name": "", "roles": [Role.EMPLOYEE]}, "full_name"),
        ({"email": "a@example.test", "full_name": "x" * 151, "roles": [Role.EMPLOYEE]}, "full_name"),
    ],
)
def test_wrong_invite_fields_are_named(personas: Any, body: dict[str, Any], field: str) -> None:
    client, _ = token_client(personas["admin_alice"])

    response = post_json(client, USERS, body)

    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert User.objects.count() == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [("role=King", "role"), ("is_active=maybe", "is_active"), (f"q={'x' * 201}", "q"), ("sort=password", "sort")],
)
def test_wrong_list_filters_are_named(personas: Any, query: str, field: str) -> None:
    client, _ = token_client(personas["admin_alice"])

    response = client.get(f"{USERS}?{query}")

    assert response.status_code == 400
    assert field in response.json()


def test_a_nul_in_the_search_is_dropped_not_sent_to_the_database(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])

    response = client.get(f"{USERS}?q=ol%00ga")

    assert response.status_code == 200, response.content
    assert [row["email"] for row in response.json()["results"]] == [personas["officer_olga"].email]


def test_a_page_past_the_end_is_a_404_and_a_bad_page_too(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])

    assert client.get(f"{USERS}?page=99").status_code == 404
    assert client.get(f"{USERS}?page=abc").status_code == 404


@pytest.mark.parametrize("pk", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_odd_ids_are_404s(personas: Any, pk: str) -> None:
    client, _ = token_client(personas["admin_alice"])

    assert client.get(f"{USERS}{pk}/").status_code == 404
    assert client.get(f"{TOKENS}{pk}/").status_code == 404


def test_form_encoded_bodies_are_refused_with_415(personas: Any) -> None:
    client = personas.client("employee_emil")

    response = client.post(TOKENS, data={"name": "form"})

    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_an_unknown_api_url_is_a_json_404_and_a_page_url_stays_a_page(personas: Any) -> None:
    client, _ = token_client(personas["admin_alice"])

    api = client.get("/api/v1/users/not-a-number/")
    page = client.get("/no-such-page/")

    assert api.status_code == 404
    assert api["Content-Type"] == "application/json"
    assert api.json() == {"detail": "Not found."}
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
