"""Pages of the whole trail come from sequence numbers: same entries as counting and skipping, no COUNT."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import User
from access.services import create_api_token
from audits.models import ChainHead, LogEntry
from audits.pagination import ChainPaginator
from tests.audits.conftest import write_entries

pytestmark = pytest.mark.django_db

TRAIL = reverse("audits:trail")
API = reverse("audit-entry-list")


def sequences(entries: Any) -> list[int]:
    return [entry.sequence for entry in entries]


def newest_first(bottom: int, top: int) -> list[int]:
    """Sequences of the whole trail, newest first, sliced like an offset paginator would."""
    return list(LogEntry.objects.order_by("-sequence").values_list("sequence", flat=True)[bottom:top])


def count_queries_on_entries(queries: list[dict[str, str]]) -> list[str]:
    table = LogEntry._meta.db_table
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and table in q["sql"]]


def test_pages_of_the_whole_trail_are_the_offset_pages(personas: Any) -> None:
    write_entries(120)
    total = LogEntry.objects.count()
    assert ChainHead.current().sequence == total
    paginator = ChainPaginator(LogEntry.objects.order_by("-sequence"), 50)
    assert paginator.count == total
    assert paginator.num_pages == -(-total // 50)
    seen: list[int] = []
    for number in paginator.page_range:
        page = paginator.page(number)
        got = sequences(page)
        assert got == newest_first((number - 1) * 50, number * 50), f"page {number}"
        seen += got
    assert sorted(seen) == list(range(1, total + 1)), "every entry exactly once"


def test_the_trail_page_reads_no_count_and_shows_a_deep_page(personas: Any) -> None:
    write_entries(130)
    client = personas.client("admin_alice")
    client.get(TRAIL)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TRAIL, {"page": 3})
    assert response.status_code == 200
    assert count_queries_on_entries(captured.captured_queries) == []
    page = response.context["page"]
    assert page.paginator.count == LogEntry.objects.count()
    assert sequences(page.object_list) == newest_first(100, 150)
    html = response.content.decode()
    assert f"Page 3 of {page.paginator.num_pages}" in html
    assert f"{page.paginator.count} entries" in html


def test_a_filtered_trail_still_counts_its_matches(personas: Any) -> None:
    write_entries(60)
    client = personas.client("admin_alice")
    response = client.get(TRAIL, {"object_id": "1"})
    page = response.context["page"]
    assert page.paginator.count == LogEntry.objects.filter(object_pk="1").count()
    assert all(entry.object_pk == "1" for entry in page.object_list)


def test_a_page_past_the_end_shows_the_oldest_entries(personas: Any) -> None:
    write_entries(70)
    response = personas.client("admin_alice").get(TRAIL, {"page": 999})
    page = response.context["page"]
    assert page.number == page.paginator.num_pages
    assert sequences(page.object_list)[-1] == 1


def token_client(user: User) -> Client:
    _, raw = create_api_token(user=user, name="paging tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_pages_the_whole_trail_by_sequence(personas: Any) -> None:
    write_entries(120)
    client = token_client(personas["admin_alice"])
    with CaptureQueriesContext(connection) as captured:
        body = client.get(API, {"page": 2}).json()
    assert count_queries_on_entries(captured.captured_queries) == []
    total = LogEntry.objects.count()
    assert body["count"] == total
    assert [item["sequence"] for item in body["results"]] == newest_first(50, 100)
    assert "page=3" in body["next"]
    assert client.get(API, {"page": 999}).status_code == 404


def test_the_api_counts_filtered_lists(personas: Any) -> None:
    write_entries(60)
    client = token_client(personas["admin_alice"])
    body = client.get(API, {"object_id": "7"}).json()
    assert body["count"] == LogEntry.objects.filter(object_pk="7").count() == 1
    assert body["results"][0]["object_id"] == "7"
