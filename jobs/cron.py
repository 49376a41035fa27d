"""Cron expressions and schedule triggers: when a job is due.

Crontab lines have five fields and count weekdays from Sunday (0 or 7); APScheduler
counts from Monday, so day-of-week numbers are rewritten as names before parsing.
All triggers run in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Max

from jobs.models import JobRun, JobSchedule

DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _crontab_weekdays(field_text: str) -> str:
    """Translate a crontab day-of-week field (0 or 7 = Sunday) to weekday names.

    APScheduler 3 counts weekdays from Monday (0 = Monday), unlike cron. Names mean
    the same in both, so numbers are expanded to an explicit list of names. Anything
    that is not numeric is passed through for APScheduler to validate.
    """
    if not any(ch.isdigit() for ch in field_text):
        return field_text
    days: set[int] = set()
    for item in field_text.split(","):
        rng, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() else (1 if not step_text else 0)
        if rng == "*":
            low, high = 0, 6
        elif rng.isdigit():
            low = high = int(rng)
        elif rng.count("-") == 1 and all(part.isdigit() for part in rng.split("-")):
            low, high = (int(part) for part in rng.split("-"))
        else:
            return field_text
        if step < 1 or not (0 <= low <= high <= 7):
            return field_text
        if step_text and low == high:
            high = 7 if rng != "*" else 6
        days.update(day % 7 for day in range(low, high + 1, step))
    return ",".join(DOW_NAMES[day] for day in sorted(days))


def cron_trigger(expression: str) -> Any:
    """A UTC ``CronTrigger`` for a five-field crontab line; ``ValueError`` if invalid."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"Wrong number of fields; got {len(fields)}, expected 5 (minute hour day month weekday).")
    fields[4] = _crontab_weekdays(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=UTC)


def schedule_trigger(schedule: JobSchedule) -> Any:
    """The APScheduler trigger for a schedule row (cron or interval)."""
    from apscheduler.triggers.interval import IntervalTrigger

    if schedule.cron:
        return cron_trigger(schedule.cron)
    if schedule.interval_seconds:
        return IntervalTrigger(seconds=schedule.interval_seconds, timezone=UTC)
    raise ValueError(f"Schedule of {schedule.job_id} has neither a cron expression nor an interval.")


def next_due_at(schedule: JobSchedule, *, last_run_at: datetime | None) -> datetime | None:
    """When the schedule is next due, counting from its last scheduled run (or its last edit)."""
    base = max(filter(None, [last_run_at, schedule.updated_at]))
    if schedule.cron:
        fire: datetime | None = cron_trigger(schedule.cron).get_next_fire_time(None, base + timedelta(seconds=1))
        return fire
    if schedule.interval_seconds:
        return base + timedelta(seconds=schedule.interval_seconds)
    return None


def last_scheduled_run_at(job_id: str) -> datetime | None:
    result: datetime | None = JobRun.objects.filter(job_id=job_id, trigger=JobRun.Trigger.SCHEDULE).aggregate(
        last=Max("queued_at")
    )["last"]
    return result


# --- Schedules in words, for the jobs page ---

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _weekdays_in_words(field_text: str) -> str | None:
    if field_text.isdigit() and int(field_text) <= 7:
        return f"every {DAY_NAMES[int(field_text)]}"
    low, dash, high = field_text.partition("-")
    if dash and low.isdigit() and high.isdigit() and int(low) < int(high) <= 7:
        return f"{DAY_NAMES[int(low)]} to {DAY_NAMES[int(high)]}"
    return None


def describe_cron(expression: str) -> str:
    """A crontab line as a person says it: ``40 3 * * *`` -> "every day at 03:40" (UTC).

    Common shapes are put in words; anything else is shown as the cron line itself.
    """
    fields = expression.split()
    if len(fields) != 5:
        return f"cron {expression}"
    minute, hour, day, month, weekday = fields
    if minute == hour == day == month == weekday == "*":
        return "every minute"
    if minute.isdigit() and hour == "*" and day == month == weekday == "*":
        return f"every hour at {int(minute):02d} minutes past"
    if minute.startswith("*/") and minute[2:].isdigit() and hour == day == month == weekday == "*":
        return f"every {int(minute[2:])} minutes"
    if minute.isdigit() and hour.isdigit() and month == "*":
        at = f"at {int(hour):02d}:{int(minute):02d}"
        if day == weekday == "*":
            return f"every day {at}"
        if day == "*" and (days := _weekdays_in_words(weekday)):
            return f"{days} {at}"
        if day.isdigit() and weekday == "*":
            return f"on day {int(day)} of every month {at}"
    return f"cron {expression}"


def describe_interval(seconds: int) -> str:
    """``3600`` -> "every hour", ``900`` -> "every 15 minutes", ``45`` -> "every 45 seconds"."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"every {unit}" if count == 1 else f"every {count} {unit}s"
    return f"every {seconds} seconds"
