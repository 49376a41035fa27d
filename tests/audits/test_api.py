"""``/api/v1/audit-entries/``: read-only, the page's filters, the same readers."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from access.models import User
from access.services import create_api_token
from audits.models import LogEntry
from core.actor import acting

pytestmark = pytest.mark.django_db

LIST = reverse("audit-entry-list")


def token_client(user: User) -> Client:
    _, raw = create_api_token(user=user, name="audit api tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def make_groups(actor: User | None, count: int) -> list[Group]:
    with acting(actor, via="test"):
        return [Group.objects.create(name=f"Api team {i}") for i in range(count)]


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil", "it_ivan", "owner_omar"])
def test_others_are_refused(personas: Any, persona: str) -> None:
    client = token_client(personas[persona])
    entry = LogEntry.objects.order_by("sequence").first()
    assert entry is not None
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("audit-entry-detail", args=[entry.pk])).status_code == 403


def test_anonymous_callers_get_401() -> None:
    assert Client().get(LIST).status_code == 401


def test_list_filters_and_shape(personas: Any) -> None:
    olga = personas["officer_olga"]
    groups = make_groups(olga, 2)
    client = token_client(personas["admin_alice"])
    response = client.get(LIST, {"actor": "officer_olga", "object_type": "auth.group", "action": "create"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["object_repr"] == "Api team 1" and first["object_id"] == str(groups[1].pk)
    assert first["actor_id"] == olga.pk and first["actor_email"] == olga.email
    assert first["action"] == "create" and first["object_type"] == "auth.group"
    assert first["additional_data"]["via"] == "test"
    entry = LogEntry.objects.get(pk=first["id"])
    assert (first["sequence"], first["prev_hash"], first["entry_hash"]) == (
        entry.sequence,
        entry.prev_hash,
        entry.entry_hash,
    )
    assert body["results"][1]["sequence"] == first["sequence"] - 1, "newest first"


def test_detail(personas: Any) -> None:
    group = make_groups(personas["admin_alice"], 1)[0]
    entry = LogEntry.objects.latest("sequence")
    response = token_client(personas["officer_olga"]).get(reverse("audit-entry-detail", args=[entry.pk]))
    assert response.status_code == 200
    assert response.json()["object_id"] == str(group.pk)
    assert token_client(personas["officer_olga"]).get(reverse("audit-entry-detail", args=[10**9])).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"object_type": "nothing.here"}, "object_type"),
        ({"action": "launch"}, "action"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2026-05-03", "date_to": "2026-05-01"}, "date_to"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(personas: Any, params: dict[str, str], field: str) -> None:
    response = token_client(personas["admin_alice"]).get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_api_is_read_only(personas: Any) -> None:
    entry = LogEntry.objects.order_by("sequence").first()
    assert entry is not None
    client = token_client(personas["admin_alice"])
    assert client.post(LIST, {}, content_type="application/json").status_code == 405
    detail = reverse("audit-entry-detail", args=[entry.pk])
    assert client.delete(detail).status_code == 405
    assert client.patch(detail, {"object_repr": "x"}, content_type="application/json").status_code == 405


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_costs_a_fixed_number_of_queries(personas: Any, django_assert_num_queries: Any, count: int) -> None:
    make_groups(personas["officer_olga"], count)
    client = token_client(personas["admin_alice"])
    client.get(LIST)
    # token with its owner, permissions (own and roles', one query), count, page
    with django_assert_num_queries(4):
        response = client.get(LIST, {"actor": "officer_olga"})
    assert response.json()["count"] == count
