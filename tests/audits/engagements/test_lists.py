"""The evidence and evidence-request lists: filters, search, sorting and paging like every list of the house."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.engagements.services import create_request
from audits.models import Evidence, EvidenceRequest
from tests.audits.engagements.conftest import World

pytestmark = pytest.mark.django_db

EVIDENCE = reverse("audits:evidence_list")
REQUESTS = reverse("audits:request_list")


def _page(personas: Any, who: str, url: str, **params: Any) -> str:
    response = personas.client(who).get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _note(title: str, **fields: Any) -> Evidence:
    return Evidence.objects.create(title=title, kind=Evidence.Kind.NOTE, note="n", **fields)


def test_evidence_filters_by_kind_control_owner_expiry_and_text(world: World, personas: Any) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    _note("Old firewall review", valid_until=yesterday, owner=personas["officer_olga"])
    _note("Access list export", owner=personas["officer_olga"])

    assert "Old firewall review" in _page(personas, "officer_olga", EVIDENCE, kind="note")
    assert "Review minutes" not in _page(personas, "officer_olga", EVIDENCE, kind="note")
    expired = _page(personas, "officer_olga", EVIDENCE, expired="yes")
    assert "Old firewall review" in expired and "Access list export" not in expired
    assert "Old firewall review" not in _page(personas, "officer_olga", EVIDENCE, expired="no")
    by_control = _page(personas, "officer_olga", EVIDENCE, control=world.control.pk)
    assert "Review minutes" in by_control and "Access list export" not in by_control
    by_owner = _page(personas, "officer_olga", EVIDENCE, owner=personas["officer_olga"].pk)
    assert "Access list export" in by_owner and "Review minutes" not in by_owner
    found = _page(personas, "officer_olga", EVIDENCE, q="firewall")
    assert "Old firewall review" in found and "Access list export" not in found


def test_evidence_sorts_and_pages(world: World, personas: Any) -> None:
    for n in range(60):
        _note(f"Note {n:02d}")

    first = _page(personas, "officer_olga", EVIDENCE, sort="-title")
    assert first.index("Secret minutes") < first.index("Note 59")  # "S" before "N" in reverse order
    second = _page(personas, "officer_olga", EVIDENCE, page=2)
    assert "Note 59" in second and "Note 00" not in second  # by title: Note 00..49, then 50..59, Review, Secret


def test_a_bad_evidence_filter_is_named_on_the_filter_bar(world: World, personas: Any) -> None:
    html = _page(personas, "officer_olga", EVIDENCE, kind="spreadsheet", control="x")
    assert 'data-testid="filter-errors"' in html
    assert "spreadsheet" in html and "Review minutes" in html  # the other filters still apply, nothing hidden


def test_an_owner_still_sees_only_their_own_evidence(world: World, personas: Any) -> None:
    _note("Officer's own note", owner=personas["officer_olga"], created_by=personas["officer_olga"])
    html = _page(personas, "owner_omar", EVIDENCE)
    assert "Review minutes" in html and "Officer's own note" not in html


def test_the_evidence_list_costs_the_same_queries_with_one_row_and_with_fifty(world: World, personas: Any) -> None:
    client = personas.client("officer_olga")
    client.get(EVIDENCE)
    with CaptureQueriesContext(connection) as few:
        client.get(EVIDENCE)
    for n in range(50):
        _note(f"More {n}", owner=personas["owner_omar"])
    with CaptureQueriesContext(connection) as many:
        client.get(EVIDENCE)
    assert len(many) == len(few)


def test_requests_filter_by_status_owner_mine_and_overdue(world: World, personas: Any) -> None:
    aude, omar = personas["auditor_aude"], personas["owner_omar"]
    late = create_request(actor=aude, engagement=world.engagement, title="Late minutes", control=world.control)
    EvidenceRequest.objects.filter(pk=late.pk).update(owner=omar, due_date=timezone.localdate() - timedelta(days=2))
    done = create_request(actor=aude, engagement=world.engagement, title="Accepted list", control=world.control)
    EvidenceRequest.objects.filter(pk=done.pk).update(status=EvidenceRequest.Status.ACCEPTED, owner=omar)

    accepted = _page(personas, "officer_olga", REQUESTS, status="accepted")
    assert "Accepted list" in accepted and "Late minutes" not in accepted
    overdue = _page(personas, "officer_olga", REQUESTS, overdue="yes")
    assert "Late minutes" in overdue and "Accepted list" not in overdue
    mine = _page(personas, "owner_omar", REQUESTS, mine="yes")
    assert "Late minutes" in mine and "Accepted list" in mine
    assert "Late minutes" not in _page(personas, "officer_olga", REQUESTS, mine="yes")
    assert "Late minutes" in _page(personas, "officer_olga", REQUESTS, owner=omar.pk, q="late")
    bad = _page(personas, "officer_olga", REQUESTS, status="lost")
    assert 'data-testid="filter-errors"' in bad and "lost" in bad


def test_the_request_list_costs_the_same_queries_with_one_row_and_with_fifty(world: World, personas: Any) -> None:
    aude = personas["auditor_aude"]
    create_request(actor=aude, engagement=world.engagement, title="First", control=world.control)
    client = personas.client("officer_olga")
    client.get(REQUESTS)
    with CaptureQueriesContext(connection) as few:
        client.get(REQUESTS)
    for n in range(49):
        create_request(actor=aude, engagement=world.engagement, title=f"Request {n}", control=world.control)
    with CaptureQueriesContext(connection) as many:
        client.get(REQUESTS)
    assert len(many) == len(few)
