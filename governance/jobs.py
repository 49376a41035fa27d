"""Scheduled jobs of governance: planned control tests (and, from the risks area, exception expiry)."""

from __future__ import annotations

from typing import Any

from governance.services import controls as control_services
from workbench.jobs_registry import job


@job(
    "governance.schedule_control_tests",
    description="Plan the next test of every implemented control that has a test frequency.",
    cron="15 1 * * *",
)
def schedule_control_tests(run: Any) -> str:
    outcome = control_services.schedule_control_tests()
    return f"Planned {outcome.created} control test(s); moved the due date of {outcome.rescheduled}."


@job(
    "governance.expire_exceptions",
    description="Mark approved compliance exceptions past their end date expired, reopening what they covered.",
    cron="5 0 * * *",
)
def expire_exceptions(run: Any) -> str:
    from access.actor import acting
    from governance.services.exceptions import expire_exceptions as expire

    with acting(None, via="job:governance.expire_exceptions"):
        count = expire()
    return f"Expired {count} exception(s)."
