"""Write side of the scheduler: queue a run or a task, edit a schedule, create default schedules."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import DomainError, NotFoundError
from core.jobs_registry import Job, get_job, scheduled_jobs
from core.permissions import require_perm
from core.users import UserLike
from jobs.cron import cron_trigger
from jobs.models import JobRun, JobSchedule

MIN_INTERVAL_SECONDS = 10
MAX_INTERVAL_SECONDS = 31 * 24 * 3600


def _registered(job_id: str) -> Job:
    """A scheduled job (on-demand tasks have no schedule and cannot be run without parameters)."""
    job = get_job(job_id)
    if job is None or job.on_demand:
        raise NotFoundError(f"There is no job with the id {job_id!r}.")
    return job


def _id(user: UserLike | None) -> int | None:
    return None if user is None else int(user.pk)


@transaction.atomic
def queue_task(*, actor: UserLike | None, task_id: str, params: dict[str, Any]) -> JobRun:
    """Queue a run of the on-demand task ``task_id`` with ``params``, on behalf of ``actor``.

    The task names the permission needed to queue it; the run is done as ``actor`` (the
    audit trail names them) and its progress page is theirs to watch.
    """
    task = get_job(task_id)
    if task is None or not task.on_demand:
        raise NotFoundError(f"There is no task with the id {task_id!r}.")
    require_perm(actor, task.perm)
    return JobRun.objects.create(
        job_id=task_id,
        trigger=JobRun.Trigger.TASK,
        status=JobRun.Status.QUEUED,
        requested_by_id=_id(actor),
        params=params,
    )


@transaction.atomic
def queue_job_run(*, actor: UserLike | None, job_id: str) -> JobRun:
    """Queue a run of ``job_id`` for the scheduler process; it starts within one poll interval."""
    require_perm(actor, "access.run_jobs")
    _registered(job_id)
    waiting = JobRun.objects.filter(job_id=job_id, status=JobRun.Status.QUEUED).first()
    if waiting is not None:
        raise DomainError(f"{job_id} is already queued (run #{waiting.pk}); it starts within moments.")
    return JobRun.objects.create(
        job_id=job_id, trigger=JobRun.Trigger.MANUAL, status=JobRun.Status.QUEUED, requested_by_id=_id(actor)
    )


def validate_schedule(*, cron: str, interval_seconds: int | None) -> None:
    """Exactly one of a valid five-field cron expression or an interval; errors name the field."""
    if cron and interval_seconds:
        raise ValidationError(
            {"cron": "Give either a cron expression or an interval in seconds, not both (clear one of them)."}
        )
    if not cron and not interval_seconds:
        raise ValidationError({"cron": "Give a cron expression (e.g. '30 2 * * *') or an interval in seconds."})
    if cron:
        try:
            cron_trigger(cron)
        except ValueError as exc:
            message = f"Cron expression {cron!r} is not valid: {exc} Use five fields: minute hour day month weekday."
            raise ValidationError({"cron": message}) from exc
    if interval_seconds is not None and not MIN_INTERVAL_SECONDS <= interval_seconds <= MAX_INTERVAL_SECONDS:
        raise ValidationError(
            {
                "interval_seconds": (
                    f"Interval seconds must be between {MIN_INTERVAL_SECONDS} and {MAX_INTERVAL_SECONDS} (31 days)."
                )
            }
        )


@transaction.atomic
def update_job_schedule(
    *, actor: UserLike | None, job_id: str, cron: str, interval_seconds: int | None, enabled: bool
) -> JobSchedule:
    """Change when a job runs; the scheduler picks it up at its next poll, without restart."""
    require_perm(actor, "workbench.change_jobschedule")
    _registered(job_id)
    cron = " ".join((cron or "").split())
    interval_seconds = interval_seconds or None
    validate_schedule(cron=cron, interval_seconds=interval_seconds)
    schedule = JobSchedule.objects.select_for_update().filter(job_id=job_id).first() or JobSchedule(job_id=job_id)
    schedule.cron = cron
    schedule.interval_seconds = interval_seconds
    schedule.enabled = enabled
    schedule.full_clean()
    schedule.save()
    return schedule


def ensure_default_schedules() -> int:
    """Create a schedule row, from the job's defaults, for every registered job without one.

    Idempotent and safe to call from several processes at once. Returns how many it made.
    """
    jobs = scheduled_jobs()
    existing = set(JobSchedule.objects.filter(job_id__in=list(jobs)).values_list("job_id", flat=True))
    created = 0
    for job in (j for j in jobs.values() if j.job_id not in existing):
        with transaction.atomic():
            _, made = JobSchedule.objects.get_or_create(
                job_id=job.job_id, defaults={"cron": job.cron, "interval_seconds": job.interval_seconds}
            )
        created += int(made)
    return created
