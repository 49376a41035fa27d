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

import contextlib
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection
from django.db.models import CharField, Max, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from access.actor import acting
from workbench.jobs_registry import Job, get_job, scheduled_jobs
from workbench.models import JobLease, JobRun, JobSchedule
from workbench.tasks import TaskError, TaskOutcome

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
JOB_PREFIX = "job:"  # APScheduler ids of scheduled jobs; others are internal
POLL_JOB_ID = "rampart:poll"
QUEUE_JOB_ID = "rampart:queue"
QUEUE_POLL_SECONDS = 1  # how often queued runs (a person is waiting on them) are claimed
HEARTBEAT_ID = "rampart:scheduler"  # a lease row every live scheduler renews at each poll
TASK_LEASE_SEPARATOR = "#"
DUE_TOLERANCE = timedelta(seconds=2)  # a trigger may fire this much before the history says it is due
MAX_TEXT = 200_000  # characters of output / error kept per run

DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# --- Triggers ---------------------------------------------------------------


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


# --- Leases -------------------------------------------------------------------


def new_holder() -> str:
    return f"{WORKER_ID}:{uuid.uuid4().hex[:12]}"


def acquire_lease(job_id: str, holder: str) -> bool:
    """Take the job's lease if nobody holds it or the holder's lease ran out. Atomic."""
    now = timezone.now()
    with contextlib.suppress(IntegrityError):  # another process created the row at the same moment
        JobLease.objects.get_or_create(job_id=job_id)
    taken = (
        JobLease.objects.filter(job_id=job_id)
        .filter(Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=now + timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS))
    )
    return taken == 1


def renew_lease(job_id: str, holder: str) -> bool:
    expires = timezone.now() + timedelta(seconds=settings.SCHEDULER_LEASE_SECONDS)
    return JobLease.objects.filter(job_id=job_id, holder=holder).update(expires_at=expires) == 1


def release_lease(job_id: str, holder: str) -> None:
    if TASK_LEASE_SEPARATOR in job_id:  # a task run's own lease is never taken again
        JobLease.objects.filter(job_id=job_id, holder=holder).delete()
        return
    JobLease.objects.filter(job_id=job_id, holder=holder).update(holder="", expires_at=None)


def lease_key(run: JobRun, job: Job | None) -> str:
    """The lease a run takes: the job's own, or one per run for on-demand tasks."""
    if job is not None and job.on_demand:
        return f"{run.job_id}{TASK_LEASE_SEPARATOR}{run.pk}"
    return run.job_id


def beat() -> None:
    """Say that a scheduler is alive, for a little longer than until its next poll."""
    expires = timezone.now() + timedelta(seconds=2 * settings.SCHEDULER_POLL_SECONDS + 10)
    if JobLease.objects.filter(job_id=HEARTBEAT_ID).update(holder=WORKER_ID, expires_at=expires):
        return
    with contextlib.suppress(IntegrityError):
        JobLease.objects.create(job_id=HEARTBEAT_ID, holder=WORKER_ID, expires_at=expires)


def scheduler_is_alive() -> bool:
    """Whether some scheduler process polled recently."""
    return JobLease.objects.filter(job_id=HEARTBEAT_ID, expires_at__gte=timezone.now()).exists()


class _LeaseKeeper(threading.Thread):
    """Renews a lease every third of its length while a long job runs."""

    def __init__(self, job_id: str, holder: str) -> None:
        super().__init__(name=f"lease-keeper:{job_id}", daemon=True)
        self.job_id, self.holder = job_id, holder
        self.done = threading.Event()

    def run(self) -> None:
        interval = max(1.0, settings.SCHEDULER_LEASE_SECONDS / 3)
        try:
            while not self.done.wait(interval):
                if not renew_lease(self.job_id, self.holder):
                    log.warning("Lost the lease of %s while it ran.", self.job_id)
                    return
        finally:
            connection.close()  # this thread's own connection


def _lease_note(job_id: str) -> str:
    lease = JobLease.objects.filter(job_id=job_id).first()
    if lease is None or not lease.holder:
        return "Skipped: the job was already running."
    until = f" until {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC" if lease.expires_at else ""
    return f"Skipped: the job is already running (lease held by {lease.holder}{until})."


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
        output=_lease_note(run.job_id),
    )


def _run_holding_lease(run: JobRun, holder: str, key: str | None = None) -> JobRun:
    """Run the job body of ``run`` while ``holder`` holds its lease (``key``); record the outcome."""
    started = timezone.now()
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.RUNNING, started_at=started, worker=WORKER_ID)
    run.status, run.started_at, run.worker = JobRun.Status.RUNNING, started, WORKER_ID
    job = get_job(run.job_id)
    if job is None:
        return _finish(run, status=JobRun.Status.FAILED, error=f"No job is registered with the id {run.job_id!r}.")
    keeper = _LeaseKeeper(key or run.job_id, holder)
    keeper.start()
    try:
        with acting(run.requested_by, via=f"job:{run.job_id}", run_id=run.pk):
            output = job.func(run)
    except TaskError as exc:
        log.info("Task %s (run %s) failed: %s", run.job_id, run.pk, exc.message)
        return _finish(run, status=JobRun.Status.FAILED, error=exc.message[:MAX_TEXT], result=exc.result)
    except Exception:
        log.exception("Job %s (run %s) failed.", run.job_id, run.pk)
        return _finish(run, status=JobRun.Status.FAILED, error=traceback.format_exc()[-MAX_TEXT:])
    finally:
        keeper.done.set()
        keeper.join()
    if isinstance(output, TaskOutcome):
        return _finish(run, status=JobRun.Status.SUCCEEDED, output=output.output[:MAX_TEXT], result=output.result)
    return _finish(run, status=JobRun.Status.SUCCEEDED, output=str(output or "")[:MAX_TEXT])


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


def run_job_now(job_id: str, *, actor: Any = None, trigger: str = JobRun.Trigger.COMMAND) -> JobRun:
    """Record a run of ``job_id`` and execute it in the foreground (``manage.py run_job``)."""
    with acting(actor, via="run_job"):
        run = JobRun.objects.create(
            job_id=job_id, trigger=trigger, status=JobRun.Status.RUNNING, requested_by=actor, worker=WORKER_ID
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
    from workbench.services import ensure_default_schedules

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
        scheduler.shutdown(wait=True)


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
