"""DeferredPaginator: deep pages load their rows by key and show exactly the rows a plain slice shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits.chain import append_entries
from audits.models import LogEntry
from core.pagination import DEFERRED_FROM_OFFSET, DeferredPaginator

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries() -> int:
    content_type = ContentType.objects.get_for_model(Group)
    rows = [
        LogEntry(content_type=content_type, object_pk=str(i % 7), object_repr=f"entry {i}", action=i % 2)
        for i in range(DEFERRED_FROM_OFFSET + 230)
    ]
    return append_entries(rows)


def pages(paginator: Paginator) -> list[list[int]]:
    return [[row.pk for row in paginator.page(n)] for n in paginator.page_range]


def test_every_page_holds_the_rows_of_a_plain_slice(entries: int) -> None:
    for queryset in (
        LogEntry.objects.select_related("content_type").order_by("-sequence"),
        LogEntry.objects.filter(action=1).order_by("object_pk", "pk"),  # ties broken by pk
    ):
        for size, orphans in ((50, 0), (40, 7)):
            assert pages(DeferredPaginator(queryset, size, orphans=orphans)) == pages(
                Paginator(queryset, size, orphans=orphans)
            )


def test_a_deep_page_is_one_query_with_a_key_subquery(entries: int) -> None:
    paginator = DeferredPaginator(LogEntry.objects.select_related("content_type").order_by("-sequence"), 50)
    paginator.count  # noqa: B018 - counted first, as a list page does
    with CaptureQueriesContext(connection) as deep:
        rows = list(paginator.page(paginator.num_pages))
    with CaptureQueriesContext(connection) as shallow:
        list(paginator.page(1))
    assert len(deep) == len(shallow) == 1
    assert "OFFSET" in deep[0]["sql"] and " IN (SELECT" in deep[0]["sql"]
    assert " IN (SELECT" not in shallow[0]["sql"]
    assert rows[-1].sequence == 1 and rows[0].content_type.model == "group"


def test_unordered_or_distinct_querysets_and_lists_keep_the_plain_slice(entries: Any) -> None:
    assert list(DeferredPaginator(list(range(1200)), 50).page(20)) == list(range(950, 1000))
    distinct = LogEntry.objects.order_by("sequence").values_list("sequence", flat=True).distinct()
    assert list(DeferredPaginator(distinct, 50).page(11)) == list(range(501, 551))
    unordered = LogEntry.objects.order_by()
    with CaptureQueriesContext(connection) as queries:
        list(DeferredPaginator(unordered, 50).page(11))
    assert " IN (SELECT" not in queries[-1]["sql"]


def test_the_audit_trail_shows_a_deep_page(entries: int, personas: Any) -> None:
    client = personas.client("admin_alice")
    expected = list(LogEntry.objects.order_by("-sequence").values_list("object_repr", flat=True)[600:650])
    response = client.get("/audit-trail/", {"page": 13})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.number == 13
    assert [e.object_repr for e in page] == expected
