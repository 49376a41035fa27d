"""When a plan is due, and whether a slot was missed.

A plan's next run is the first slot of its cron expression (UTC) after its last scheduled set
started, or after the plan was last changed, whichever is later; so a scheduler that was down
catches up with one run, not one per slot it slept through. A slot is *missed* when it lies
more than ``RAMPART_BACKUP_MISSED_AFTER_MINUTES`` (default 60) in the past with no set started.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from backups.models import BackupPlan, BackupSet
from jobs.cron import cron_trigger


def missed_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "RAMPART_BACKUP_MISSED_AFTER_MINUTES", 60)))


def last_scheduled_starts(plans: list[BackupPlan]) -> dict[int, datetime]:
    rows = (
        BackupSet.objects.filter(plan__in=plans, trigger=BackupSet.Trigger.SCHEDULE)
        .values("plan")
        .annotate(last=Max("started_at"))
        .values_list("plan", "last")
    )
    return {plan_id: last for plan_id, last in rows if plan_id is not None and last is not None}


def next_run_at(plan: BackupPlan, last_scheduled: datetime | None) -> datetime | None:
    """The next slot of ``plan`` (``None`` for an inactive plan or an invalid expression)."""
    if not plan.active:
        return None
    base = max(filter(None, [last_scheduled, plan.updated_at]))
    try:
        fire: datetime | None = cron_trigger(plan.cron).get_next_fire_time(None, base + timedelta(seconds=1))
    except ValueError:
        return None
    return fire


def is_missed(due: datetime | None, now: datetime | None = None) -> bool:
    return due is not None and due + missed_after() < (now or timezone.now())
