"""Read side of the scheduler: run history and the jobs overview, filtered by permission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Max, QuerySet
from django.utils import timezone

from access.errors import NotFoundError
from access.permissions import require_perm
from workbench.jobs_registry import Job, discover, scheduled_jobs
from workbench.models import JobRun, JobSchedule
from workbench.scheduler import next_due_at, scheduler_is_alive

VIEW_PERM = "access.view_job_runs"
STALL_SECONDS = 5  # a run queued this long with no live scheduler: tell the person why it waits


def job_runs_visible_to(user: Any, *, job_id: str = "", status: str = "") -> QuerySet[JobRun]:
    """Runs, newest first, with who asked for them; everyone allowed sees every run."""
    require_perm(user, VIEW_PERM)
    runs = JobRun.objects.select_related("requested_by").order_by("-queued_at", "-pk")
    if job_id:
        runs = runs.filter(job_id=job_id)
    if status:
        runs = runs.filter(status=status)
    return runs


def job_run_for(user: Any, *, run_id: int) -> JobRun:
    run = job_runs_visible_to(user).filter(pk=run_id).first()
    if run is None:
        raise NotFoundError("There is no such job run.")
    return run


def own_or_visible_runs(user: Any) -> QuerySet[JobRun]:
    """Every run for holders of the view permission; otherwise only the runs the user queued."""
    if user is None or not user.is_authenticated or not user.is_active:
        return JobRun.objects.none()
    runs = JobRun.objects.select_related("requested_by")
    return runs if user.has_perm(VIEW_PERM) else runs.filter(requested_by=user)


def scheduler_missing_for(run: JobRun) -> bool:
    """Whether ``run`` has waited a few seconds in the queue while no scheduler is running."""
    if run.status != JobRun.Status.QUEUED:
        return False
    if (timezone.now() - run.queued_at).total_seconds() < STALL_SECONDS:
        return False
    return not scheduler_is_alive()


def task_run_for(user: Any, *, run_id: int) -> JobRun:
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
        source: Any = self.schedule or self.job
        if source.cron:
            return f"cron {source.cron}"
        return f"every {source.interval_seconds} s"

    @property
    def enabled(self) -> bool:
        return self.schedule.enabled if self.schedule is not None else True

    @property
    def overdue(self) -> bool:
        return self.next_run_at is not None and self.next_run_at <= timezone.now()


def jobs_overview_for(user: Any) -> list[JobOverview]:
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
    return [(job_id, job_id) for job_id in sorted(discover())]
