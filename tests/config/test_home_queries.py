"""The home page's cost: roles read once a request, and a query count that owning more does not raise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import Control, Risk
from tests.conftest import PERSONAS

ROLE_READ = 'FROM "auth_group" INNER JOIN "access_user_groups"'


def _home_queries(client: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def _own(user: Any, first: int, last: int) -> None:
    late = timezone.localdate() - dt.timedelta(days=3)
    for n in range(first, last):
        Control.objects.create(ref=f"CTL-{n}", title=f"Mine {n}", owner=user, status="implemented", next_test_due=late)
        Risk.objects.create(ref=f"RSK-{n}", title=f"Mine {n}", owner=user, review_date=late)


@pytest.mark.parametrize("name", PERSONAS)
def test_home_reads_roles_once_and_owning_more_adds_no_query(personas: Any, name: str) -> None:
    client = personas.client(name)
    _own(personas[name], 0, 1)
    one = _home_queries(client)
    # Navigation, panels and permission tests all ask for roles; the request reads them once.
    assert sum(ROLE_READ in sql for sql in one) == 1, [sql for sql in one if ROLE_READ in sql]

    _own(personas[name], 1, 15)
    assert len(_home_queries(client)) == len(one)


def test_an_owner_of_nothing_pays_no_query_for_empty_lists(personas: Any) -> None:
    client = personas.client("employee_emil")
    nothing = _home_queries(client)
    _own(personas["employee_emil"], 0, 1)
    something = _home_queries(client)
    # Three lists of controls and three of risks are read only once there is something to list.
    assert len(something) == len(nothing) + 6
    assert not any('"governance_risk"."review_date" <' in sql for sql in nothing)
