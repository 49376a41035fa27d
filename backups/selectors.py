"""Read side of backups: plans with their last and next run, sets, drills and recipients, by permission.

Every page costs a fixed number of queries, whatever the number of plans or sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from backups.models import BackupPlan, BackupRecipient, BackupSet, RestoreDrill
from backups.services.drills import drill_max_age
from backups.services.schedule import is_missed, last_scheduled_starts, next_run_at
from core.errors import NotFoundError
from core.permissions import require_perm

VIEW_PLAN = "backups.view_backupplan"
VIEW_SET = "backups.view_backupset"
VIEW_DRILL = "backups.view_restoredrill"
VIEW_RECIPIENT = "backups.view_backuprecipient"
FAILED_DAYS = 7


@dataclass(frozen=True)
class PlanRow:
    plan: BackupPlan
    last_set: BackupSet | None
    next_run_at: datetime | None
    missed: bool
    last_good_drill: RestoreDrill | None


def _last_per_plan(queryset: QuerySet[Any], field: str = "plan") -> QuerySet[Any]:
    return queryset.values(field).annotate(last=Max("pk")).values("last")


def plan_overview(user: Any) -> list[PlanRow]:
    """Every plan with its last set, next run, missed flag and last passed drill (five queries)."""
    require_perm(user, VIEW_PLAN)
    plans = list(BackupPlan.objects.prefetch_related("recipients").order_by("name"))
    last_sets = {s.plan_id: s for s in BackupSet.objects.filter(pk__in=_last_per_plan(BackupSet.objects.all()))}
    passed = RestoreDrill.objects.filter(result=RestoreDrill.Result.PASSED, backup_set__isnull=False)
    drills = {
        d.backup_set.plan_id: d
        for d in RestoreDrill.objects.select_related("backup_set").filter(
            pk__in=_last_per_plan(passed, "backup_set__plan")
        )
        if d.backup_set is not None
    }
    scheduled = last_scheduled_starts(plans)
    rows = []
    for plan in plans:
        due = next_run_at(plan, scheduled.get(plan.pk))
        rows.append(PlanRow(plan, last_sets.get(plan.pk), due, is_missed(due), drills.get(plan.pk)))
    return rows


def plan_for(user: Any, pk: int) -> BackupPlan:
    require_perm(user, VIEW_PLAN)
    plan = BackupPlan.objects.prefetch_related("recipients").filter(pk=pk).first()
    if plan is None:
        raise NotFoundError("There is no such backup plan.")
    return plan


def sets_visible_to(user: Any) -> QuerySet[BackupSet]:
    require_perm(user, VIEW_SET)
    return BackupSet.objects.select_related("plan", "requested_by").order_by("-started_at", "-pk")


def set_for(user: Any, set_id: str) -> BackupSet:
    found = sets_visible_to(user).filter(set_id=set_id).first()
    if found is None:
        raise NotFoundError("There is no such backup set.")
    return found


def drills_visible_to(user: Any) -> QuerySet[RestoreDrill]:
    require_perm(user, VIEW_DRILL)
    return RestoreDrill.objects.select_related("backup_set").order_by("-started_at", "-pk")


def recipients_visible_to(user: Any) -> QuerySet[BackupRecipient]:
    require_perm(user, VIEW_RECIPIENT)
    return BackupRecipient.objects.select_related("created_by").order_by("name")


@dataclass(frozen=True)
class Attention:
    """What the dashboard says about backups: the last drill, and what failed or was missed."""

    last_drill: RestoreDrill | None
    last_good_drill: RestoreDrill | None
    failed_sets: list[BackupSet]
    failed_count: int
    missed_plans: list[PlanRow]
    drill_overdue: bool
    days: int = FAILED_DAYS

    @property
    def needs_attention(self) -> bool:
        drill_bad = self.last_drill is not None and self.last_drill.result != RestoreDrill.Result.PASSED
        return bool(self.failed_count or self.missed_plans or self.drill_overdue or drill_bad)


def attention_for(user: Any) -> Attention | None:
    """For the dashboard; ``None`` for people who may not see backups."""
    if not (user.has_perm(VIEW_SET) and user.has_perm(VIEW_DRILL) and user.has_perm(VIEW_PLAN)):
        return None
    since = timezone.now() - timedelta(days=FAILED_DAYS)
    failed = BackupSet.objects.filter(status=BackupSet.Status.FAILED, started_at__gte=since) | BackupSet.objects.filter(
        status=BackupSet.Status.COMPLETE, verify_ok=False, started_at__gte=since
    )
    drills = RestoreDrill.objects.exclude(result=RestoreDrill.Result.RUNNING).order_by("-started_at", "-pk")
    last_drill = drills.first()
    last_good = drills.filter(result=RestoreDrill.Result.PASSED).first()
    has_old_sets = BackupSet.objects.filter(
        status=BackupSet.Status.COMPLETE, started_at__lt=timezone.now() - drill_max_age()
    ).exists()
    overdue = has_old_sets and (last_good is None or last_good.started_at < timezone.now() - drill_max_age())
    return Attention(
        last_drill=last_drill,
        last_good_drill=last_good,
        failed_sets=list(failed.order_by("-started_at")[:5]),
        failed_count=failed.count(),
        missed_plans=[row for row in plan_overview(user) if row.missed],
        drill_overdue=overdue,
    )
