"""Read side of the scheduler: run history and the jobs overview, filtered by permission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from core.errors import NotFoundError
from core.jobs_registry import Job, discover, scheduled_jobs
from core.permissions import require_perm
from core.users import UserLike
from jobs.cron import describe_cron, describe_interval, next_due_at
from jobs.leases import scheduler_is_alive
from jobs.models import JobRun, JobSchedule

VIEW_PERM = "access.view_job_runs"
STALL_SECONDS = 5  # a run queued this long with no live scheduler: tell the person why it waits


def job_runs_visible_to(user: UserLike) -> QuerySet[JobRun]:
    """Runs, newest first, with who asked for them; everyone allowed sees every run."""
    require_perm(user, VIEW_PERM)
    return JobRun.objects.select_related("requested_by").order_by("-queued_at", "-pk")


def job_run_for(user: UserLike, *, run_id: int) -> JobRun:
    run = job_runs_visible_to(user).filter(pk=run_id).first()
    if run is None:
        raise NotFoundError("There is no such job run.")
    return run


def own_or_visible_runs(user: UserLike) -> QuerySet[JobRun]:
    """Every run for holders of the view permission; otherwise only the runs the user queued."""
    if user is None or not user.is_authenticated or not user.is_active:
        return JobRun.objects.none()
    runs = JobRun.objects.select_related("requested_by")
    return runs if user.has_perm(VIEW_PERM) else runs.filter(requested_by_id=user.pk)


def scheduler_missing_for(run: JobRun) -> bool:
    """Whether ``run`` has waited a few seconds in the queue while no scheduler is running."""
    if run.status != JobRun.Status.QUEUED:
        return False
    if (timezone.now() - run.queued_at).total_seconds() < STALL_SECONDS:
        return False
    return not scheduler_is_alive()


def task_run_for(user: UserLike, *, run_id: int) -> JobRun:
    """A run for its progress page: the person who queued it, or anyone who may read runs."""
    run = own_or_visible_runs(user).filter(pk=run_id).first()
    if run is None:
        raise NotFoundError("There is no such run.")
    return run


@dataclass
class JobOverview:
    job: Job
    schedule: JobSchedule | None
    last_run: JobRun | None
    next_run_at: datetime | None
    schedule_error: str = ""

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def schedule_text(self) -> str:
        """The schedule in words ("every day at 03:40"); the cron line itself is ``schedule_cron``."""
        source: Any = self.schedule or self.job
        if source.cron:
            return describe_cron(source.cron)
        return describe_interval(int(source.interval_seconds or 0))

    @property
    def schedule_cron(self) -> str:
        source: Any = self.schedule or self.job
        return str(source.cron or "")

    @property
    def enabled(self) -> bool:
        return self.schedule.enabled if self.schedule is not None else True

    @property
    def overdue(self) -> bool:
        return self.next_run_at is not None and self.next_run_at <= timezone.now()


def jobs_overview_for(user: UserLike) -> list[JobOverview]:
    """Every scheduled job with its schedule, last run and next due time (three queries)."""
    require_perm(user, VIEW_PERM)
    jobs = scheduled_jobs()
    schedules = {s.job_id: s for s in JobSchedule.objects.filter(job_id__in=list(jobs))}
    latest = JobRun.objects.values("job_id").annotate(last_pk=Max("pk")).values("last_pk")
    last_runs = {r.job_id: r for r in JobRun.objects.select_related("requested_by").filter(pk__in=latest)}
    last_scheduled = dict(
        JobRun.objects.filter(trigger=JobRun.Trigger.SCHEDULE, job_id__in=list(jobs))
        .values("job_id")
        .annotate(last=Max("queued_at"))
        .values_list("job_id", "last")
    )
    rows = []
    for job_id in sorted(jobs):
        schedule = schedules.get(job_id)
        next_run, error = None, ""
        if schedule is not None and schedule.enabled:
            try:
                next_run = next_due_at(schedule, last_run_at=last_scheduled.get(job_id))
            except ValueError as exc:
                error = str(exc)
        rows.append(JobOverview(jobs[job_id], schedule, last_runs.get(job_id), next_run, error))
    return rows


def job_choices() -> list[tuple[str, str]]:
    """Every job by its name for people, ordered by name."""
    return sorted(((job_id, job.label) for job_id, job in discover().items()), key=lambda choice: choice[1])


def recent_failed_runs(user: UserLike, *, days: int = 7, limit: int = 10) -> tuple[list[JobRun], int]:
    """Runs that failed in the last ``days`` days, newest first (at most ``limit``), and how many there are."""
    failed = (
        job_runs_visible_to(user)
        .filter(status=JobRun.Status.FAILED)
        .filter(queued_at__gte=timezone.now() - timedelta(days=days))
    )
    return list(failed[:limit]), failed.count()
