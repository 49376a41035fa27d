"""Migration 0007 clears the due dates of controls that left the test schedule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("governance", "0006_owners")]
AFTER = [("governance", "0007_clear_due_dates_off_schedule")]


@pytest.mark.usefixtures("back_to_latest_migrations")
def test_due_dates_of_controls_off_schedule_are_cleared() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Control: Any = executor.loader.project_state(BEFORE).apps.get_model("governance", "Control")
    due = date(2026, 1, 31)
    for ref, status, frequency in [
        ("CTL-IMPL", "implemented", "monthly"),
        ("CTL-NA", "not_applicable", "monthly"),
        ("CTL-PLAN", "planned", "quarterly"),
        ("CTL-UNTESTED", "implemented", "none"),
    ]:
        Control.objects.create(ref=ref, title=ref, status=status, test_frequency=frequency, next_test_due=due)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    Control = executor.loader.project_state(AFTER).apps.get_model("governance", "Control")
    assert dict(Control.objects.values_list("ref", "next_test_due")) == {
        "CTL-IMPL": due,
        "CTL-NA": None,
        "CTL-PLAN": None,
        "CTL-UNTESTED": None,
    }
