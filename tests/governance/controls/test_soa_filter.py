"""The Statement of Applicability filtered by status, and the dashboard's "Not covered" link to it.

Known data (see conftest): R1 covered by CTL-1; R2 (failed control), R3 (planned control) and R4
(no control) not covered; R5 not applicable. Here R4 also gets an approved exception, so it is
excepted and only R2 and R3 remain not covered.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.services.exceptions import decide_exception, request_exception

EXPECTED = {
    "covered": ["R1"],
    "uncovered": ["R2", "R3"],
    "excepted": ["R4"],
    "not_applicable": ["R5"],
}


@pytest.fixture
def excepted(known: Any, personas: Any) -> Any:
    exception = request_exception(
        actor=personas["officer_olga"],
        title="Awaiting the new HR system",
        reason="The old one cannot log access.",
        expires_on=timezone.localdate() + dt.timedelta(days=30),
        requirement=known.reqs["R4"],
    )
    decide_exception(actor=personas["admin_alice"], exception=exception, approve=True)
    return known


def _soa(client: Any, known: Any, params: dict[str, str] | None = None) -> Any:
    response = client.get(reverse("governance:soa", args=[known.framework.pk]), params or {})
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("status", list(EXPECTED))
def test_each_status_shows_exactly_its_rows(excepted: Any, personas: Any, status: str) -> None:
    response = _soa(personas.client("officer_olga"), excepted, {"status": status})
    assert [r.ref_id for r in response.context["rows"]] == EXPECTED[status]
    # The totals describe the whole statement, whatever the filter.
    assert "1 of 3 applicable requirements covered" in response.content.decode()


def test_the_filter_control_counts_each_status_and_marks_the_current_one(excepted: Any, personas: Any) -> None:
    response = _soa(personas.client("officer_olga"), excepted, {"status": "uncovered"})
    assert response.context["statuses"] == [
        ("covered", "Covered", 1),
        ("uncovered", "Not covered", 2),
        ("excepted", "Excepted", 1),
        ("not_applicable", "Not applicable", 1),
    ]
    html = response.content.decode()
    url = reverse("governance:soa", args=[excepted.framework.pk])
    assert f'<a class="nav-link active" href="{url}?status=uncovered" aria-current="page">Not covered' in html
    assert f'<a class="nav-link" href="{url}">All' in html
    assert f'href="{reverse("governance:soa_csv", args=[excepted.framework.pk])}?status=uncovered"' in html
    assert "style=" not in html


@pytest.mark.parametrize("value", ["", "bogus", "UNCOVERED", "\x00"])
def test_no_or_an_unknown_status_shows_every_row(excepted: Any, personas: Any, value: str) -> None:
    response = _soa(personas.client("officer_olga"), excepted, {"status": value})
    assert [r.ref_id for r in response.context["rows"]] == ["R1", "R2", "R3", "R4", "R5"]
    assert response.context["status"] == ""


def test_the_csv_follows_the_filter(excepted: Any, personas: Any) -> None:
    client = personas.client("officer_olga")
    url = reverse("governance:soa_csv", args=[excepted.framework.pk])
    response = client.get(url, {"status": "uncovered"})
    assert response["Content-Disposition"] == 'attachment; filename="soa-known-uncovered.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r[0] for r in rows[1:]] == ["R2", "R3"]
    assert {r[-1] for r in rows[1:]} == {"Not covered"}
    unfiltered = client.get(url)
    assert unfiltered["Content-Disposition"] == 'attachment; filename="soa-known.csv"'


def test_an_empty_status_says_so_and_offers_every_row(known: Any, personas: Any) -> None:
    response = _soa(personas.client("officer_olga"), known, {"status": "excepted"})
    assert response.context["rows"] == []
    assert "No requirement is excepted." in response.content.decode()


def test_the_dashboard_not_covered_figure_links_to_exactly_those_rows(excepted: Any, personas: Any) -> None:
    client = personas.client("officer_olga")
    dashboard = client.get(reverse("governance:dashboard"))
    coverage = next(c for c in dashboard.context["coverage"] if c.framework == excepted.framework)
    link = f"{reverse('governance:soa', args=[excepted.framework.pk])}?status=uncovered"
    assert f'<a href="{link}" data-testid="uncovered-known">{coverage.uncovered}</a>' in dashboard.content.decode()
    rows = client.get(link).context["rows"]
    assert len(rows) == coverage.uncovered == 2


def test_the_filtered_page_costs_the_same_queries_as_the_whole(excepted: Any, personas: Any) -> None:
    client = personas.client("officer_olga")
    _soa(client, excepted)
    with CaptureQueriesContext(connection) as whole:
        _soa(client, excepted)
    with CaptureQueriesContext(connection) as filtered:
        _soa(client, excepted, {"status": "uncovered"})
    assert len(filtered.captured_queries) == len(whole.captured_queries)
