"""Expired evidence flags its controls (list, page) and the dashboard; owners are reminded before expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from audits.engagements.services import add_evidence, remind_expiring
from audits.models import Evidence, LogEntry
from tests.audits.engagements.conftest import World


def _expire(world: World, personas: Any, days_ago: int = 1) -> Evidence:
    """A new version of CTL-1's evidence, valid until ``days_ago`` days ago (its newest version)."""
    return add_evidence(
        actor=personas["owner_omar"],
        title="Review minutes",
        kind=Evidence.Kind.NOTE,
        note="minutes",
        collected_on=timezone.localdate() - timedelta(days=400),
        valid_until=timezone.localdate() - timedelta(days=days_ago),
        controls=[world.control],
        previous=world.evidence,
    )


def _flags_on_list(personas: Any, persona: str) -> dict[str, bool]:
    page = personas.client(persona).get(reverse("governance:control_list")).content.decode()
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in page.split("<tr>")[1:]}
    return {ref: "Expired evidence" in row for ref, row in rows.items() if ref.startswith("CTL-")}


def test_control_list_and_page_flag_expired_evidence(world: World, personas: Any) -> None:
    assert _flags_on_list(personas, "officer_olga") == {"CTL-1": False, "CTL-9": False}
    _expire(world, personas)
    assert _flags_on_list(personas, "officer_olga") == {"CTL-1": True, "CTL-9": False}
    assert _flags_on_list(personas, "owner_omar")["CTL-1"] is True
    page = personas.client("officer_olga").get(reverse("governance:control_detail", args=[world.control.pk]))
    assert 'data-testid="control-flag"' in page.content.decode()
    other = personas.client("officer_olga").get(reverse("governance:control_detail", args=[world.outside_control.pk]))
    assert 'data-testid="control-flag"' not in other.content.decode()


def test_a_newer_valid_version_clears_the_flag(world: World, personas: Any) -> None:
    expired = _expire(world, personas)
    add_evidence(
        actor=personas["owner_omar"],
        title="Review minutes",
        kind=Evidence.Kind.NOTE,
        note="fresh minutes",
        valid_until=timezone.localdate() + timedelta(days=300),
        controls=[world.control],
        previous=expired,
    )
    assert _flags_on_list(personas, "officer_olga")["CTL-1"] is False


def test_the_flag_appears_on_the_day_after_valid_until(world: World, personas: Any) -> None:
    _expire(world, personas, days_ago=-3)  # valid for three more days
    assert _flags_on_list(personas, "officer_olga")["CTL-1"] is False
    with time_machine.travel(timezone.now() + timedelta(days=4), tick=False):
        assert _flags_on_list(personas, "officer_olga")["CTL-1"] is True


def test_dashboard_counts_expired_evidence(world: World, personas: Any) -> None:
    client = personas.client("officer_olga")
    page = client.get(reverse("governance:dashboard")).content.decode()
    assert "No evidence has expired." in page
    _expire(world, personas)
    page = client.get(reverse("governance:dashboard")).content.decode()
    assert "1 piece of evidence past its valid-until date" in page
    assert "1 control has expired evidence" in page
    link = f"{reverse('audits:evidence_list')}?expired=yes"
    assert link in page
    listed = client.get(link)
    assert listed.status_code == 200
    assert "Review minutes" in listed.content.decode()
    assert "Secret minutes" not in listed.content.decode()  # valid (no end date): not listed as expired


def test_list_flags_cost_no_query_per_row(world: World, personas: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = personas.client("officer_olga")
    client.get(reverse("governance:control_list"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("governance:control_list"))
    _expire(world, personas)
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("governance:control_list"))
    assert len(after.captured_queries) == len(before.captured_queries)


def test_owners_are_reminded_once_before_expiry(world: World, personas: Any) -> None:
    today = timezone.localdate()
    soon = add_evidence(
        actor=personas["owner_omar"],
        title="Firewall review",
        kind=Evidence.Kind.NOTE,
        note="reviewed",
        valid_until=today + timedelta(days=10),
        controls=[world.control],
    )
    add_evidence(
        actor=personas["owner_omar"],
        title="Backup report",
        kind=Evidence.Kind.NOTE,
        note="ok",
        valid_until=today + timedelta(days=60),
        controls=[world.control],
    )
    mail.outbox.clear()
    assert remind_expiring(today) == 1
    assert [m.to for m in mail.outbox] == [[personas["owner_omar"].email]]
    assert "Firewall review" in mail.outbox[0].subject
    soon.refresh_from_db()
    assert soon.reminded_on == today
    recorded = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Evidence), object_id=soon.pk, action=LogEntry.Action.UPDATE
    )
    assert recorded.exists()  # the trail has the reminder
    assert remind_expiring(today) == 0  # once only
    assert remind_expiring(today + timedelta(days=47)) == 1  # the later one, 13 days before
    assert "Backup report" in mail.outbox[-1].subject


@override_settings(RAMPART_EVIDENCE_REMIND_DAYS=3)
def test_reminder_window_is_a_setting(world: World, personas: Any) -> None:
    today = timezone.localdate()
    add_evidence(
        actor=personas["owner_omar"],
        title="Access review",
        kind=Evidence.Kind.NOTE,
        note="done",
        valid_until=today + timedelta(days=5),
        controls=[world.control],
    )
    assert remind_expiring(today) == 0
    assert remind_expiring(today + timedelta(days=2)) == 1


def test_a_failed_mail_is_tried_again(world: World, personas: Any, monkeypatch: Any) -> None:
    from audits.engagements import services

    today = timezone.localdate()
    evidence = add_evidence(
        actor=personas["owner_omar"],
        title="Pen test",
        kind=Evidence.Kind.NOTE,
        note="done",
        valid_until=today + timedelta(days=1),
        controls=[world.control],
    )

    def broken(*args: Any, **kwargs: Any) -> int:
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_mail", broken)
    assert remind_expiring(today) == 0
    evidence.refresh_from_db()
    assert evidence.reminded_on is None
    monkeypatch.undo()
    assert remind_expiring(today) == 1
