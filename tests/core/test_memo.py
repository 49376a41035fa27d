"""Costly figures are counted once and reused until something changes (core.memo).

The dashboard and home page keep their figures per person; any change to our data leaves an
audit-trail entry, after which the next visit counts again. The day, the person's account and
a minute's age end reuse too. Each test shows the reused figures would be wrong if kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import User
from core import memo
from governance.models import Control, ControlTest

DASHBOARD = reverse("governance:dashboard")


def _figures(client: Any) -> Any:
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    return response


def test_a_second_visit_reuses_the_figures_and_says_when_they_were_counted(personas: Any) -> None:
    Control.objects.create(ref="CTL-1", title="Backups")
    client = personas.client("officer_olga")
    with CaptureQueriesContext(connection) as first:
        counted = _figures(client)
    with CaptureQueriesContext(connection) as second:
        again = _figures(client)
    assert again.context["figures"].total == counted.context["figures"].total == 1
    assert len(second) < len(first) - 10, (len(first), len(second))
    assert again.context["counted_at"] == counted.context["counted_at"]
    local = timezone.localtime(counted.context["counted_at"]).strftime("%H:%M:%S")
    assert f"Figures counted at {local}" in again.content.decode()


def test_a_change_is_counted_on_the_next_visit(personas: Any) -> None:
    client = personas.client("officer_olga")
    assert _figures(client).context["figures"].total == 0
    Control.objects.create(ref="CTL-1", title="Backups", status="implemented")  # any save leaves an entry
    assert _figures(client).context["figures"].total == 1
    ControlTest.objects.create(control=Control.objects.get(), due_date=timezone.localdate() - dt.timedelta(days=1))
    assert _figures(client).context["figures"].overdue_tests == 1


def test_figures_are_never_shared_between_people(personas: Any) -> None:
    omar = personas["owner_omar"]
    Control.objects.create(ref="CTL-1", title="Omar's", owner=omar, status="implemented")
    Control.objects.create(ref="CTL-2", title="Someone else's", status="implemented")
    assert _figures(personas.client("officer_olga")).context["figures"].total == 2
    home = personas.client("owner_omar").get(reverse("home"))
    assert [c.ref for c in home.context["controls_home"].controls] == ["CTL-1"]
    # Olga's own home page lists none of those as hers, whatever was counted for Omar.
    assert personas.client("officer_olga").get(reverse("home")).context["controls_home"].controls == []


def test_a_new_day_counts_again(personas: Any) -> None:
    client = personas.client("officer_olga")
    Control.objects.create(ref="CTL-1", title="Backups", status="implemented", next_test_due=timezone.localdate())
    assert _figures(client).context["figures"].overdue == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        client = personas.client("officer_olga")  # the old session would have expired overnight
        assert _figures(client).context["figures"].overdue == 1


def test_what_changes_without_an_entry_is_counted_within_a_minute(personas: Any) -> None:
    client = personas.client("officer_olga")
    Control.objects.create(ref="CTL-1", title="Backups", status="planned")
    assert _figures(client).context["figures"].by_status["implemented"] == 0
    Control.objects.update(status="implemented")  # a bulk update: no audit-trail entry
    assert _figures(client).context["figures"].by_status["implemented"] == 0  # kept: nothing told of the change
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=memo.KEPT_SECONDS + 1)):
        assert _figures(client).context["figures"].by_status["implemented"] == 1


def test_a_change_to_the_account_counts_again(personas: Any) -> None:
    olga: User = personas["officer_olga"]
    counts: list[int] = []

    def count() -> int:
        counts.append(1)
        return len(counts)

    assert memo.counted_for(olga, "figures", count).value == 1
    assert memo.counted_for(olga, "figures", count).value == 1
    olga.auth_epoch += 1  # as a change of roles, password or second factor does
    assert memo.counted_for(olga, "figures", count).value == 2
    assert memo.counted_for(personas["admin_alice"], "figures", count).value == 3


def test_without_a_change_marker_nothing_is_reused(personas: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(memo, "_MARKERS", {})
    client = personas.client("officer_olga")
    Control.objects.create(ref="CTL-1", title="Backups", status="planned")
    _figures(client)
    Control.objects.update(status="implemented")
    assert _figures(client).context["figures"].by_status["implemented"] == 1
