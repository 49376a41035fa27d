"""Stopping the scheduler while a job adds jobs (as ``poll`` does) ends, instead of waiting forever."""

from __future__ import annotations

import threading
from typing import Any

from jobs.scheduler import build_scheduler, stop_scheduler


def _dispatched(scheduler: Any, job_id: str) -> None:
    """Wait until the scheduler's loop has let go of a one-off job it started (it removes it from
    its store just after handing it to a thread); stopping before that races APScheduler's own
    loop, which then fails in its thread with "No job by the id of ...", whatever our stop does."""
    for _ in range(1000):
        if scheduler.get_job(job_id) is None:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"the scheduler kept {job_id} in its store")


def test_stopping_during_a_job_that_adds_jobs_ends() -> None:
    scheduler = build_scheduler()
    inside, release, added = threading.Event(), threading.Event(), threading.Event()

    def like_poll() -> None:
        inside.set()
        release.wait(10)
        scheduler.add_job(print, id="added-while-stopping")  # what sync_schedules does
        added.set()

    scheduler.start()
    scheduler.add_job(like_poll, id="like-poll")
    assert inside.wait(10), "the job did not start"
    _dispatched(scheduler, "like-poll")
    stopper = threading.Thread(target=stop_scheduler, args=(scheduler,), daemon=True)
    stopper.start()
    stopper.join(0.5)  # the stop has begun while the job is still running
    release.set()
    stopper.join(10)
    assert not stopper.is_alive(), "stopping the scheduler waited forever for the job"
    assert added.is_set()


def test_stopping_waits_for_the_running_job_to_finish() -> None:
    scheduler = build_scheduler()
    inside, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> None:
        inside.set()
        release.wait(10)
        finished.set()

    scheduler.start()
    scheduler.add_job(slow, id="slow")
    assert inside.wait(10)
    _dispatched(scheduler, "slow")
    stopper = threading.Thread(target=stop_scheduler, args=(scheduler,), daemon=True)
    stopper.start()
    stopper.join(0.5)
    assert stopper.is_alive() and not finished.is_set()  # still waiting for the job
    release.set()
    stopper.join(10)
    assert not stopper.is_alive() and finished.is_set()
