"""The audit-trail page, its entry page and CSV export: who may read them, filters, fixed query count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from access.models import User
from audits.models import LogEntry
from core.actor import acting
from tests.audits.conftest import as_attacker

pytestmark = pytest.mark.django_db

TRAIL = reverse("audits:trail")
EXPORT = reverse("audits:trail_export")


def make_groups(actor: User | None, count: int, prefix: str = "Team") -> list[Group]:
    with acting(actor, via="test"):
        return [Group.objects.create(name=f"{prefix} {i}") for i in range(count)]


def group_type_id() -> int:
    return ContentType.objects.get_for_model(Group).pk


def rows(response: Any) -> list[LogEntry]:
    return list(response.context["page"].object_list)


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil", "it_ivan", "owner_omar"])
def test_only_trail_readers_get_in(personas: Any, persona: str) -> None:
    client = personas.client(persona)
    entry = LogEntry.objects.order_by("sequence").first()
    assert entry is not None
    assert client.get(TRAIL).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(reverse("audits:entry_detail", args=[entry.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["admin_alice", "officer_olga"])
def test_administrators_and_compliance_officers_read_the_trail(personas: Any, persona: str) -> None:
    response = personas.client(persona).get(TRAIL)
    assert response.status_code == 200
    sequences = [e.sequence for e in rows(response)]
    assert sequences == sorted(sequences, reverse=True), "newest first"
    assert b"Audit trail" in response.content


def test_filter_by_actor_object_type_and_id(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    mine = make_groups(olga, 2, "Olga's")
    make_groups(alice, 1, "Alice's")
    client = personas.client("officer_olga")

    by_actor = rows(client.get(TRAIL, {"actor": "OFFICER_olga"}))
    # Her groups, and her own sign-in (a sign-in is done by the person signing in).
    assert {e.object_repr for e in by_actor} == {"Olga's 0", "Olga's 1", f"Signed in: {olga.email}"}

    by_object = rows(client.get(TRAIL, {"object_type": group_type_id(), "object_id": str(mine[1].pk)}))
    assert [e.object_repr for e in by_object] == ["Olga's 1"]


def test_filter_by_action(personas: Any) -> None:
    group = make_groups(personas["admin_alice"], 1)[0]
    with acting(personas["admin_alice"], via="test"):
        group.name = "Renamed"
        group.save()
    response = personas.client("admin_alice").get(
        TRAIL, {"action": LogEntry.Action.UPDATE, "object_type": group_type_id(), "actor": "admin_alice"}
    )
    found = rows(response)
    assert [e.object_repr for e in found] == ["Renamed"]
    assert found[0].changes == {"name": ["Team 0", "Renamed"]}
    assert "Name: Team 0 → Renamed" in response.content.decode()


def test_filter_by_dates_both_inclusive(personas: Any) -> None:
    for day in (1, 2, 3):
        with time_machine.travel(datetime(2026, 5, day, 12, tzinfo=UTC), tick=False):
            make_groups(None, 1, f"Day {day}")
    client = personas.client("admin_alice")
    found = rows(client.get(TRAIL, {"date_from": "2026-05-02", "date_to": "2026-05-03"}))
    assert [e.object_repr for e in found] == ["Day 3 0", "Day 2 0"]
    assert [e.object_repr for e in rows(client.get(TRAIL, {"date_to": "2026-05-01"}))][:1] == ["Day 1 0"]


def test_bad_filters_name_the_field_and_show_nothing(personas: Any) -> None:
    client = personas.client("admin_alice")
    response = client.get(TRAIL, {"date_from": "yesterday"})
    assert response.status_code == 200
    assert "date_from" in response.context["form"].errors
    assert rows(response) == []
    assert b"Fix the filters" in response.content

    response = client.get(TRAIL, {"date_from": "2026-05-03", "date_to": "2026-05-01"})
    assert response.context["form"].errors["date_to"] == ["The end date must not be before the start date."]

    response = client.get(TRAIL, {"object_type": "999999"})
    assert "object_type" in response.context["form"].errors

    export = client.get(EXPORT, {"action": "launch"})
    assert export.status_code == 400 and b"action" in export.content


def test_empty_results_say_what_to_do(personas: Any) -> None:
    response = personas.client("admin_alice").get(TRAIL, {"actor": "nobody-by-that-name"})
    assert b"No entry matches these filters" in response.content


def test_pages_of_fifty_keep_the_filters(personas: Any) -> None:
    make_groups(personas["officer_olga"], 55)
    client = personas.client("admin_alice")
    first = client.get(TRAIL, {"actor": "officer_olga"})
    assert len(rows(first)) == 50
    assert "?actor=officer_olga&amp;page=2" in first.content.decode()
    second = client.get(TRAIL, {"actor": "officer_olga", "page": 2})
    assert len(rows(second)) == 5
    assert f'href="{EXPORT}?actor=officer_olga"' in second.content.decode(), "export keeps the filters, not the page"


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_costs_a_fixed_number_of_queries(personas: Any, django_assert_num_queries: Any, count: int) -> None:
    make_groups(personas["officer_olga"], count)
    client = personas.client("admin_alice")
    client.get(TRAIL)  # warm caches that belong to the session, not to the list
    # session, user, roles, second factor, permissions, count, page (object types come from Django's cache)
    with django_assert_num_queries(7):
        response = client.get(TRAIL, {"actor": "officer_olga"})
    assert len(rows(response)) == count


def test_the_entry_page_shows_changes_hashes_and_the_check(personas: Any) -> None:
    group = make_groups(personas["admin_alice"], 1)[0]
    with acting(personas["admin_alice"], via="test"):
        group.name = "Renamed"
        group.save()
    entry = LogEntry.objects.latest("sequence")
    client = personas.client("officer_olga")
    page = client.get(reverse("audits:entry_detail", args=[entry.pk])).content.decode()
    assert entry.entry_hash in page and entry.prev_hash in page
    assert "Team 0" in page and "Renamed" in page
    assert "admin_alice@example.test" in page
    assert "Content matches its hash" in page

    with as_attacker():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="Nothing happened")
    page = client.get(reverse("audits:entry_detail", args=[entry.pk])).content.decode()
    assert "does NOT match its hash" in page


def test_an_unknown_entry_is_a_404(personas: Any) -> None:
    assert personas.client("admin_alice").get(reverse("audits:entry_detail", args=[10**9])).status_code == 404


def test_csv_export_holds_the_filtered_entries_and_defuses_formulas(personas: Any) -> None:
    with acting(personas["officer_olga"], via="test"):
        Group.objects.create(name="=HYPERLINK('http://evil.example')")
        Group.objects.create(name="Plain")
    make_groups(personas["admin_alice"], 3)
    response = personas.client("admin_alice").get(EXPORT, {"actor": "officer_olga"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert table[0][:5] == ["sequence", "timestamp_utc", "actor", "actor_readable", "action"]
    objects = [row[7] for row in table[1:]]
    assert objects == ["Plain", "'=HYPERLINK('http://evil.example')"]
    assert all(row[2] == "officer_olga@example.test" for row in table[1:])
