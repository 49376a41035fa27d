"""The user list costs the same number of queries with 1 user or 50."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from access.models import Role, User
from tests.conftest import login, make_persona, persona_password_hash

# session, user, OTP device, the user's roles (MFA gate), permissions (own and roles', one query),
# count, page of users, their roles (one prefetch).
EXPECTED_QUERIES = 8


@pytest.mark.parametrize("rows", [1, 50])
def test_user_list_query_count_is_fixed(db: Any, django_assert_num_queries: Any, rows: int) -> None:
    alice = make_persona("admin_alice")
    employee, owner = Group.objects.get(name=Role.EMPLOYEE), Group.objects.get(name=Role.CONTROL_OWNER)
    others = User.objects.bulk_create(
        User(email=f"user{i:03d}@example.test", full_name=f"User {i}", password=persona_password_hash())
        for i in range(rows - 1)
    )
    for user in others:
        user.groups.add(employee, owner)
    client = login(Client(), alice)
    client.get(reverse("home"))  # warm-up: the first request may touch content types

    with django_assert_num_queries(EXPECTED_QUERIES):
        response = client.get(reverse("access:user_list"), {"per_page": 50})
    assert response.status_code == 200
    assert len(re.findall(r'href="/users/\d+/"', response.content.decode())) == rows
