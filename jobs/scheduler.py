"""The runner: executes registered jobs, records every run, and owns time.

``manage.py runscheduler`` wires this module to an APScheduler ``BackgroundScheduler``:
one trigger per enabled ``JobSchedule`` (cron or interval, UTC) and a poll job that
re-reads the schedules, claims runs people queued and reaps runs whose worker died.

A job never runs twice at once, even with several scheduler processes: each run first
takes the job's ``JobLease`` row with one conditional UPDATE (a database-level
compare-and-set, safe on PostgreSQL and SQLite alike). A run that finds the lease held
by someone else is recorded as SKIPPED. While a job runs, a keeper thread renews the
lease, so a job that takes longer than ``SCHEDULER_LEASE_SECONDS`` keeps it.

Scheduled firing is also idempotent across processes: under the lease, a scheduled
fire first checks in the run history that the slot is really due, so a second process
whose trigger fires a moment later does not run the job again.

On-demand tasks (``@task``: an import, an evidence pack) are queued runs with
parameters. The scheduler claims queued runs every ``QUEUE_POLL_SECONDS`` (not only
at the slower schedule poll), so a person watching a progress page waits a moment,
not a poll interval. Each task run takes a lease of its own (``<task id>#<run id>``):
two imports of different files may run side by side, and the lease row is deleted
after the run. Every poll also renews the scheduler's heartbeat (a lease row named
``HEARTBEAT_ID``), so a page can tell a person when no scheduler is running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.actor import acting
from core.jobs_registry import get_job, scheduled_jobs
from core.users import UserLike
from jobs.cron import last_scheduled_run_at, next_due_at, schedule_trigger
from jobs.leases import (
    TASK_LEASE_SEPARATOR,
    WORKER_ID,
    LeaseKeeper,
    acquire_lease,
    beat,
    lease_key,
    lease_note,
    new_holder,
    release_lease,
)
from jobs.models import JobLease, JobRun, JobSchedule
from jobs.services import ensure_default_schedules
from jobs.tasks import TaskError, TaskOutcome

log = logging.getLogger(__name__)

JOB_PREFIX = "job:"  # APScheduler ids of scheduled jobs; others are internal
POLL_JOB_ID = "rampart:poll"
QUEUE_JOB_ID = "rampart:queue"
QUEUE_POLL_SECONDS = 1  # how often queued runs (a person is waiting on them) are claimed
DUE_TOLERANCE = timedelta(seconds=2)  # a trigger may fire this much before the history says it is due
MAX_TEXT = 200_000  # characters of output / error kept per run


# --- Running ------------------------------------------------------------------


def _refresh_connection() -> None:
    """Drop a broken or too-old connection before and after a job (never inside a transaction)."""
    if not connection.in_atomic_block:
        close_old_connections()


def _finish(run: JobRun, **values: Any) -> JobRun:
    values.setdefault("finished_at", timezone.now())
    JobRun.objects.filter(pk=run.pk).update(**values)
    for name, value in values.items():
        setattr(run, name, value)
    return run


def _skip(run: JobRun) -> JobRun:
    now = timezone.now()
    return _finish(
        run,
        status=JobRun.Status.SKIPPED,
        started_at=run.started_at or now,
        finished_at=now,
        worker=WORKER_ID,
        output=lease_note(run.job_id),
    )


def _run_holding_lease(run: JobRun, holder: str, key: str | None = None) -> JobRun:
    """Run the job body of ``run`` while ``holder`` holds its lease (``key``); record the outcome."""
    started = timezone.now()
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.RUNNING, started_at=started, worker=WORKER_ID)
    run.status, run.started_at, run.worker = JobRun.Status.RUNNING, started, WORKER_ID
    job = get_job(run.job_id)
    if job is None:
        return _finish(run, status=JobRun.Status.FAILED, error=f"No job is registered with the id {run.job_id!r}.")
    keeper = LeaseKeeper(key or run.job_id, holder)
    keeper.start()
    try:
        with acting(run.requested_by, via=f"job:{run.job_id}", run_id=run.pk):
            output = job.func(run)
    except TaskError as exc:
        log.info("Task %s (run %s) failed: %s", run.job_id, run.pk, exc.message)
        return _finish(run, status=JobRun.Status.FAILED, error=exc.message[:MAX_TEXT], result=exc.result)
    except Exception as exc:
        # The traceback goes to the scheduler's log only: the run's error is shown on pages and by
        # the API, and a traceback (or an exception's text) can name server paths and internals.
        log.exception("Job %s (run %s) failed.", run.job_id, run.pk)
        return _finish(run, status=JobRun.Status.FAILED, error=unexpected_failure(run, exc))
    finally:
        keeper.done.set()
        keeper.join()
    if isinstance(output, TaskOutcome):
        return _finish(run, status=JobRun.Status.SUCCEEDED, output=output.output[:MAX_TEXT], result=output.result)
    return _finish(run, status=JobRun.Status.SUCCEEDED, output=str(output or "")[:MAX_TEXT])


def unexpected_failure(run: JobRun, exc: BaseException) -> str:
    """What a run that failed on an unexpected error says: the kind of error, never its text or traceback."""
    return (
        f"The run stopped on an unexpected error ({type(exc).__name__}). "
        f"The scheduler's log has the details (job {run.job_id}, run {run.pk})."
    )


def execute_run(run: JobRun) -> JobRun:
    """Execute one recorded run: take the lease, run the job, record the outcome, release."""
    _refresh_connection()
    holder = new_holder()
    key = lease_key(run, get_job(run.job_id))
    try:
        if not acquire_lease(key, holder):
            return _skip(run)
        try:
            return _run_holding_lease(run, holder, key)
        finally:
            release_lease(key, holder)
    finally:
        _refresh_connection()


def execute_run_by_id(run_id: int) -> JobRun | None:
    """Entry point for the scheduler's thread pool (a claimed run, by id)."""
    _refresh_connection()
    run = JobRun.objects.select_related("requested_by").filter(pk=run_id).first()
    return execute_run(run) if run is not None else None


def run_job_now(job_id: str, *, actor: UserLike | None = None, trigger: str = JobRun.Trigger.COMMAND) -> JobRun:
    """Record a run of ``job_id`` and execute it in the foreground (``manage.py run_job``)."""
    with acting(actor, via="run_job"):
        run = JobRun.objects.create(
            job_id=job_id,
            trigger=trigger,
            status=JobRun.Status.RUNNING,
            requested_by_id=None if actor is None else actor.pk,
            worker=WORKER_ID,
        )
    return execute_run(run)


def fire_scheduled(job_id: str) -> JobRun | None:
    """A trigger fired: run the job if its slot is due and nobody else is running it.

    Returns the recorded run, or ``None`` when the slot was already served (by another
    process) or the schedule is disabled.
    """
    _refresh_connection()
    try:
        schedule = JobSchedule.objects.filter(job_id=job_id, enabled=True).first()
        if schedule is None or job_id not in scheduled_jobs():
            return None
        holder = new_holder()
        if not acquire_lease(job_id, holder):
            with acting(None, via="scheduler"):
                run = JobRun.objects.create(job_id=job_id, trigger=JobRun.Trigger.SCHEDULE, worker=WORKER_ID)
            return _skip(run)
        try:
            due = next_due_at(schedule, last_run_at=last_scheduled_run_at(job_id))
            if due is None or due > timezone.now() + DUE_TOLERANCE:
                return None
            with acting(None, via="scheduler"):
                run = JobRun.objects.create(
                    job_id=job_id, trigger=JobRun.Trigger.SCHEDULE, status=JobRun.Status.RUNNING, worker=WORKER_ID
                )
            return _run_holding_lease(run, holder)
        finally:
            release_lease(job_id, holder)
    finally:
        _refresh_connection()


def run_due_jobs() -> list[JobRun]:
    """Fire every enabled schedule whose slot is due (catch-up after downtime, and ``--once``)."""
    registered = scheduled_jobs()
    runs = []
    for schedule in JobSchedule.objects.filter(enabled=True, job_id__in=list(registered)):
        try:
            due = next_due_at(schedule, last_run_at=last_scheduled_run_at(schedule.job_id))
        except ValueError:
            log.exception("Schedule of %s is not valid; it is not run.", schedule.job_id)
            continue
        if due is not None and due <= timezone.now():
            run = fire_scheduled(schedule.job_id)
            if run is not None:
                runs.append(run)
    return runs


def claim_queued_runs(*, limit: int = 20) -> list[JobRun]:
    """Claim queued runs for this process. A run is claimed by exactly one process.

    Each claim is a conditional UPDATE from QUEUED to RUNNING; when two processes race
    for the same run, the database lets exactly one of them change the row.
    """
    _refresh_connection()
    candidates = list(
        JobRun.objects.filter(status=JobRun.Status.QUEUED)
        .order_by("queued_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    claimed = []
    for pk in candidates:
        won = JobRun.objects.filter(pk=pk, status=JobRun.Status.QUEUED).update(
            status=JobRun.Status.RUNNING, worker=WORKER_ID, started_at=timezone.now()
        )
        if won:
            claimed.append(pk)
    return list(JobRun.objects.select_related("requested_by").filter(pk__in=claimed).order_by("queued_at", "pk"))


def reap_lost_runs() -> int:
    """Mark FAILED the runs left RUNNING by a worker that died (its lease ran out long ago)."""
    cutoff = timezone.now() - timedelta(seconds=2 * settings.SCHEDULER_LEASE_SECONDS)
    live = JobLease.objects.exclude(holder="").filter(expires_at__gte=timezone.now()).values("job_id")
    task_key = Concat("job_id", Value(TASK_LEASE_SEPARATOR), Cast("pk", CharField()), output_field=CharField())
    return (
        JobRun.objects.filter(status=JobRun.Status.RUNNING, started_at__lt=cutoff)
        .annotate(task_lease=task_key)
        .exclude(job_id__in=live)
        .exclude(task_lease__in=live)
        .update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error="The worker running this job stopped before the run finished.",
        )
    )


# --- APScheduler wiring ------------------------------------------------------


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.rescheduled or self.removed)


def sync_schedules(scheduler: Any) -> SyncReport:
    """Make the scheduler's triggers match the ``JobSchedule`` table (no restart needed)."""

    _refresh_connection()
    registered = scheduled_jobs()
    ensure_default_schedules()
    report = SyncReport()
    wanted: dict[str, Any] = {}
    for schedule in JobSchedule.objects.filter(enabled=True, job_id__in=list(registered)):
        try:
            wanted[JOB_PREFIX + schedule.job_id] = schedule_trigger(schedule)
        except ValueError as exc:
            log.error("Schedule of %s is not valid (%s); it is not scheduled.", schedule.job_id, exc)
            report.invalid.append(schedule.job_id)
    current = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    for aps_id, trigger in wanted.items():
        job_id = aps_id.removeprefix(JOB_PREFIX)
        if aps_id not in current:
            scheduler.add_job(
                fire_scheduled,
                trigger,
                args=[job_id],
                id=aps_id,
                name=job_id,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
            report.added.append(job_id)
        elif str(current[aps_id].trigger) != str(trigger):
            scheduler.reschedule_job(aps_id, trigger=trigger)
            report.rescheduled.append(job_id)
    for aps_id in current.keys() - wanted.keys():
        scheduler.remove_job(aps_id)
        report.removed.append(aps_id.removeprefix(JOB_PREFIX))
    if report.changed:
        log.info("Schedules synced: %s", report)
    return report


def poll(scheduler: Any) -> None:
    """Every poll interval: say it is alive, re-read schedules, reap lost runs, dispatch queued runs."""
    try:
        beat()
        sync_schedules(scheduler)
        reap_lost_runs()
    except Exception:
        log.exception("Scheduler poll failed; retrying at the next poll.")
    finally:
        _refresh_connection()
    dispatch_queued(scheduler)


def dispatch_queued(scheduler: Any) -> None:
    """Claim queued runs and hand them to the pool (every ``QUEUE_POLL_SECONDS``)."""
    try:
        for run in claim_queued_runs():
            scheduler.add_job(execute_run_by_id, args=[run.pk], id=f"run:{run.pk}", misfire_grace_time=None)
    except Exception:
        log.exception("Claiming queued runs failed; retrying in a moment.")
    finally:
        _refresh_connection()


def build_scheduler() -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(max_workers=8)})


def stop_scheduler(scheduler: Any) -> None:
    """Stop taking jobs, then wait for the running ones to finish.

    Not ``shutdown(wait=True)``: APScheduler 3 waits for the running jobs while it holds its
    job-store lock, and a running ``poll`` adds jobs under that same lock, so each would wait
    for the other forever (a scheduler stopped during a poll never ended). Here the lock is
    released first, then the executors' thread pools are joined.
    """
    scheduler.shutdown(wait=False)
    for executor in list(scheduler._executors.values()):  # APScheduler 3 pool executors keep it in ``_pool``
        pool = getattr(executor, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True)


def run_forever(stop: threading.Event, *, echo: Callable[[str], None] = log.info) -> None:
    """Run the scheduler until ``stop`` is set (by SIGTERM/SIGINT in the command)."""
    scheduler = build_scheduler()
    scheduler.start()
    echo(f"Scheduler {WORKER_ID} started; polling every {settings.SCHEDULER_POLL_SECONDS}s.")
    scheduler.add_job(run_due_jobs, id="rampart:catch-up", misfire_grace_time=None)
    scheduler.add_job(
        poll,
        "interval",
        args=[scheduler],
        seconds=settings.SCHEDULER_POLL_SECONDS,
        id=POLL_JOB_ID,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        dispatch_queued,
        "interval",
        args=[scheduler],
        seconds=QUEUE_POLL_SECONDS,
        id=QUEUE_JOB_ID,
        max_instances=1,
        coalesce=True,
    )
    try:
        stop.wait()
    finally:
        echo("Scheduler stopping; waiting for running jobs to finish.")
        stop_scheduler(scheduler)


@dataclass
class OnceReport:
    sync: SyncReport
    runs: list[JobRun]


def run_once() -> OnceReport:
    """Sync schedules, execute queued runs and due scheduled jobs, then return (``--once``)."""
    scheduler = build_scheduler()
    scheduler.start(paused=True)
    try:
        report = sync_schedules(scheduler)
    finally:
        scheduler.shutdown(wait=False)
    reap_lost_runs()
    runs = [execute_run(run) for run in claim_queued_runs(limit=1000)]
    runs.extend(run_due_jobs())
    return OnceReport(sync=report, runs=runs)
