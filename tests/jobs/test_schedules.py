"""Schedules: validated edits, defaults, cron weekdays as cron means them, and live re-sync."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from core.errors import NotFoundError, PermissionDeniedError
from jobs import cron, scheduler
from jobs.models import JobSchedule
from jobs.services import ensure_default_schedules, update_job_schedule
from tests.jobs.conftest import JobsUnderTest

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected_weekday"),
    [
        ("0 0 * * 0", "Sunday"),
        ("0 0 * * 7", "Sunday"),
        ("0 0 * * 1", "Monday"),  # the next Monday, a week on: today's midnight has passed
        ("0 0 * * 5", "Friday"),
        ("0 0 * * sat", "Saturday"),
        ("0 0 * * 6-7", "Saturday"),
    ],
)
def test_cron_weekdays_count_from_sunday_like_cron(expression: str, expected_weekday: str) -> None:
    fire = cron.cron_trigger(expression).get_next_fire_time(None, MONDAY)
    assert fire.strftime("%A") == expected_weekday


def test_cron_weekday_ranges_and_steps() -> None:
    trigger = cron.cron_trigger("0 9 * * 1-5")
    fires = []
    when = MONDAY
    for _ in range(6):
        when = trigger.get_next_fire_time(None, when)
        fires.append(when.strftime("%a"))
        when = when.replace(minute=1)
    assert fires == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]
    every_other = cron.cron_trigger("0 0 * * */2").get_next_fire_time(None, MONDAY)
    assert every_other.strftime("%A") == "Tuesday"  # cron */2 = Sun, Tue, Thu, Sat


def test_ensure_default_schedules_is_idempotent(jobs_under_test: JobsUnderTest) -> None:
    made = ensure_default_schedules()
    assert made >= 4
    assert ensure_default_schedules() == 0
    echo = JobSchedule.objects.get(job_id="test.echo")
    assert (echo.cron, echo.interval_seconds, echo.enabled) == ("", 60, True)
    assert JobSchedule.objects.get(job_id="access.expire_api_tokens").cron == "7 * * * *"


@pytest.mark.parametrize(
    ("cron", "interval", "field", "message"),
    [
        ("61 * * * *", None, "cron", "Cron expression '61 * * * *' is not valid"),
        ("* * * *", None, "cron", "Wrong number of fields"),
        ("", None, "cron", "Give a cron expression"),
        ("0 1 * * *", 60, "cron", "not both"),
        ("", 5, "interval_seconds", "Interval seconds must be between"),
    ],
)
def test_a_bad_schedule_is_refused_with_an_error_naming_the_field(
    jobs_under_test: JobsUnderTest, personas: Any, cron: str, interval: int | None, field: str, message: str
) -> None:
    ensure_default_schedules()
    with pytest.raises(ValidationError) as caught:
        update_job_schedule(
            actor=personas["it_ivan"], job_id="test.echo", cron=cron, interval_seconds=interval, enabled=True
        )
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])
    echo = JobSchedule.objects.get(job_id="test.echo")
    assert (echo.cron, echo.interval_seconds) == ("", 60), "nothing is saved"


def test_only_schedule_editors_may_change_a_schedule(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        update_job_schedule(
            actor=personas["officer_olga"], job_id="test.echo", cron="0 1 * * *", interval_seconds=None, enabled=True
        )
    with pytest.raises(NotFoundError):
        update_job_schedule(
            actor=personas["it_ivan"], job_id="no.such", cron="0 1 * * *", interval_seconds=None, enabled=True
        )
    assert not JobSchedule.objects.filter(job_id__in=["test.echo", "no.such"]).exists()


@pytest.fixture
def paused_scheduler() -> Iterator[Any]:
    aps = scheduler.build_scheduler()
    aps.start(paused=True)
    yield aps
    aps.shutdown(wait=False)


def test_a_changed_schedule_is_picked_up_by_sync_without_restart(
    jobs_under_test: JobsUnderTest, personas: Any, paused_scheduler: Any
) -> None:
    first = scheduler.sync_schedules(paused_scheduler)
    assert "test.echo" in first.added
    assert str(paused_scheduler.get_job("job:test.echo").trigger) == "interval[0:01:00]"

    update_job_schedule(
        actor=personas["it_ivan"], job_id="test.echo", cron="30 2 * * *", interval_seconds=None, enabled=True
    )
    second = scheduler.sync_schedules(paused_scheduler)
    assert second.rescheduled == ["test.echo"]
    trigger = paused_scheduler.get_job("job:test.echo").trigger
    assert "hour='2'" in str(trigger) and "minute='30'" in str(trigger)

    assert not scheduler.sync_schedules(paused_scheduler).changed, "an unchanged table changes nothing"

    update_job_schedule(
        actor=personas["it_ivan"], job_id="test.echo", cron="30 2 * * *", interval_seconds=None, enabled=False
    )
    third = scheduler.sync_schedules(paused_scheduler)
    assert third.removed == ["test.echo"]
    assert paused_scheduler.get_job("job:test.echo") is None


def test_an_invalid_schedule_row_is_reported_not_fatal(jobs_under_test: JobsUnderTest, paused_scheduler: Any) -> None:
    ensure_default_schedules()
    JobSchedule.objects.filter(job_id="test.fail").update(cron="99 * * * *")

    report = scheduler.sync_schedules(paused_scheduler)

    assert report.invalid == ["test.fail"]
    assert paused_scheduler.get_job("job:test.fail") is None
    assert paused_scheduler.get_job("job:test.echo") is not None
