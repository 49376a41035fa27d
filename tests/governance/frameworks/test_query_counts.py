"""List pages and API lists cost the same number of queries with 1 row and with 50."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import Control, Framework, Requirement
from governance.services.frameworks import import_framework
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def _frameworks(personas: Personas, start: int, stop: int) -> None:
    for i in range(start, stop):
        data = f"framework: {{key: fw-{i}, name: Framework {i}}}\nrequirements:\n  - {{ref_id: R, title: R}}\n"
        import_framework(actor=personas["officer_olga"], data=data.encode(), filename="f.yaml")


def _with_controls(framework: Framework) -> None:
    control, _ = Control.objects.get_or_create(ref=f"CTL-{framework.pk}", defaults={"title": "Control"})
    control.requirements.add(*Requirement.objects.filter(framework=framework))


def _queries_of(client: Any, url: str, params: dict[str, str]) -> int:
    client.get(url, params)  # warm per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["governance:framework_list", "framework-list"])
def test_framework_lists(personas: Personas, url_name: str, django_assert_num_queries: Any) -> None:
    client = personas.client("officer_olga")
    url = reverse(url_name)
    _frameworks(personas, 0, 1)
    one = _queries_of(client, url, {})
    _frameworks(personas, 1, 50)
    assert Framework.objects.count() == 50
    with django_assert_num_queries(one):
        response = client.get(url)
    assert response.status_code == 200
    assert b"Framework 49" in response.content


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("governance:requirement_list", {}),
        ("governance:requirement_list", {"framework": "many", "applicable": "yes", "q": "Requirement"}),
        ("requirement-list", {}),
        ("requirement-list", {"framework": "many", "q": "Requirement"}),
    ],
)
def test_requirement_lists(
    personas: Personas, many_requirements: Any, url_name: str, params: dict[str, str], django_assert_num_queries: Any
) -> None:
    client = personas.client("officer_olga")
    url = reverse(url_name)
    framework = many_requirements(1)
    _with_controls(framework)
    one = _queries_of(client, url, params)
    many_requirements(50)  # the same framework, re-imported with 50 requirements
    _with_controls(framework)
    assert Requirement.objects.filter(framework=framework).count() == 50
    with django_assert_num_queries(one):
        response = client.get(url, params)
    assert b"R-049" in response.content


def test_framework_detail_tree(personas: Personas, many_requirements: Any, django_assert_num_queries: Any) -> None:
    client = personas.client("owner_omar")
    framework = many_requirements(1)
    url = reverse("governance:framework_detail", args=[framework.pk])
    one = _queries_of(client, url, {})
    many_requirements(50)
    with django_assert_num_queries(one):
        response = client.get(url)
    assert b"R-049" in response.content


# --- CSV exports: streamed, so the queries are counted while the body is read ---


def _csv_queries(client: Any, url: str, params: dict[str, str]) -> tuple[int, list[list[str]]]:
    """Queries spent producing the whole CSV body, and its rows (header included)."""
    client.get(url, params)  # warm per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
        assert response.status_code == 200
        body = b"".join(response.streaming_content).decode()
    return len(ctx.captured_queries), list(csv.reader(io.StringIO(body)))


def _owned(personas: Personas) -> None:
    """Give every framework an owner, so the owner column is read for each row."""
    Framework.objects.filter(owner__isnull=True).update(owner=personas["owner_omar"])


def test_framework_csv(personas: Personas) -> None:
    client = personas.client("officer_olga")
    url = reverse("governance:framework_export")
    _frameworks(personas, 0, 1)
    _owned(personas)
    one, rows = _csv_queries(client, url, {})
    assert len(rows) == 1 + 1
    _frameworks(personas, 1, 50)
    _owned(personas)
    many, rows = _csv_queries(client, url, {})
    assert len(rows) == 1 + 50
    assert {"officer_olga@example.test"} == {row[9] for row in rows[1:]}  # imported_by, read per row
    assert many == one


@pytest.mark.parametrize("params", [{}, {"framework": "many", "controls": "yes"}])
def test_requirement_csv(personas: Personas, many_requirements: Any, params: dict[str, str]) -> None:
    client = personas.client("owner_omar")
    url = reverse("governance:requirement_export")
    framework = many_requirements(1)
    _with_controls(framework)
    one, rows = _csv_queries(client, url, params)
    assert len(rows) == 1 + 1
    many_requirements(50)
    _with_controls(framework)
    many, rows = _csv_queries(client, url, params)
    assert len(rows) == 1 + 50
    assert rows[-1][1] == "R-049"
    assert many == one
