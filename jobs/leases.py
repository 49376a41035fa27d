"""Leases: a job never runs twice at once, even across scheduler processes.

Each run first takes the job's ``JobLease`` row with one conditional UPDATE (a
database-level compare-and-set, safe on PostgreSQL and SQLite alike). While a job
runs, a keeper thread renews the lease. Every poll also renews the scheduler's
heartbeat (a lease row named ``HEARTBEAT_ID``), so a page can tell a person when no
scheduler is running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Q
from django.utils import timezone

from core.jobs_registry import Job
from jobs.models import JobLease, JobRun

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
HEARTBEAT_ID = "rampart:scheduler"  # a lease row every live scheduler renews at each poll
TASK_LEASE_SEPARATOR = "#"


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


class LeaseKeeper(threading.Thread):
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


def lease_note(job_id: str) -> str:
    lease = JobLease.objects.filter(job_id=job_id).first()
    if lease is None or not lease.holder:
        return "Skipped: the job was already running."
    until = f" until {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC" if lease.expires_at else ""
    return f"Skipped: the job is already running (lease held by {lease.holder}{until})."
