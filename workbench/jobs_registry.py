"""The registry of scheduled jobs. Each app lists its jobs in ``<app>/jobs.py``.

A job is a plain function taking ``run`` (the ``JobRun`` row being executed) and
returning a short text that becomes the run's output. Raising marks the run failed.
Default schedules live here; the ``JobSchedule`` table overrides them and is what
users edit.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JOB_APPS = ("access", "governance", "policies", "backups", "audits", "workbench")


@dataclass(frozen=True)
class Job:
    job_id: str
    func: Callable[[Any], str]
    description: str
    cron: str = ""
    interval_seconds: int | None = None


_JOBS: dict[str, Job] = {}


def job(
    job_id: str, *, description: str, cron: str = "", interval_seconds: int | None = None
) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register a function as a scheduled job with its default schedule."""
    if bool(cron) == bool(interval_seconds):
        raise ValueError(f"Job {job_id}: give exactly one of cron or interval_seconds.")

    def decorate(func: Callable[[Any], str]) -> Callable[[Any], str]:
        _JOBS[job_id] = Job(job_id, func, description, cron, interval_seconds)
        return func

    return decorate


def discover() -> dict[str, Job]:
    """Import every app's ``jobs`` module (once) and return the registered jobs."""
    for app in JOB_APPS:
        try:
            importlib.import_module(f"{app}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.jobs":
                raise
    return dict(_JOBS)


def get_job(job_id: str) -> Job | None:
    return discover().get(job_id)
