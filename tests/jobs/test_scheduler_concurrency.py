"""The lease and the claim under real concurrency: two threads, two database connections.

PostgreSQL only: SQLite serialises writers anyway, so a race there proves nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from jobs import leases, scheduler
from jobs.models import JobRun
from tests.jobs.conftest import JobsUnderTest

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _in_threads(count: int, work: Callable[[], Any]) -> queue.Queue[Any]:
    """Start ``count`` threads that pass a barrier together, then call ``work``; results arrive in a queue."""
    barrier = threading.Barrier(count)
    results: queue.Queue[Any] = queue.Queue()

    def body() -> None:
        try:
            barrier.wait(timeout=10)
            results.put(work())
        except Exception as exc:  # reported to the test, never swallowed
            results.put(exc)
        finally:
            connection.close()  # each thread's own connection

    for _ in range(count):
        threading.Thread(target=body, daemon=True).start()
    return results


def test_two_workers_racing_for_one_slow_job_run_it_exactly_once(jobs_under_test: JobsUnderTest) -> None:
    runs = [
        JobRun.objects.create(job_id="test.slow", trigger=JobRun.Trigger.SCHEDULE, status=JobRun.Status.RUNNING)
        for _ in range(2)
    ]
    pending = list(runs)
    lock = threading.Lock()

    def execute() -> JobRun:
        with lock:
            run = pending.pop()
        return scheduler.execute_run(run)

    results = _in_threads(2, execute)

    first = results.get(timeout=15)  # the winner is still inside the job, waiting to be released
    assert isinstance(first, JobRun), first
    assert first.status == JobRun.Status.SKIPPED
    # The winner holds the lease; it may take a moment more to reach the job body.
    assert jobs_under_test.entered.wait(timeout=15)
    jobs_under_test.release.set()
    second = results.get(timeout=15)
    assert isinstance(second, JobRun), second
    assert second.status == JobRun.Status.SUCCEEDED

    assert len(jobs_under_test.calls) == 1, "the job body ran exactly once"
    statuses = sorted(JobRun.objects.filter(pk__in=[r.pk for r in runs]).values_list("status", flat=True))
    assert statuses == [JobRun.Status.SKIPPED, JobRun.Status.SUCCEEDED]


@pytest.mark.parametrize("attempt", range(5))
def test_two_workers_claiming_one_queued_run_exactly_one_gets_it(jobs_under_test: JobsUnderTest, attempt: int) -> None:
    run = JobRun.objects.create(job_id="test.echo", trigger=JobRun.Trigger.MANUAL, status=JobRun.Status.QUEUED)

    results = _in_threads(2, scheduler.claim_queued_runs)
    claims = [results.get(timeout=15) for _ in range(2)]

    assert all(isinstance(c, list) for c in claims), claims
    assert sorted(len(c) for c in claims) == [0, 1], claims
    winner = next(c for c in claims if c)[0]
    assert winner.pk == run.pk
    run.refresh_from_db()
    assert run.status == JobRun.Status.RUNNING
    assert run.worker == leases.WORKER_ID
