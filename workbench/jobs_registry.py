"""The registry of jobs. Each app lists its jobs in ``<app>/jobs.py``.

A job is a plain function taking ``run`` (the ``JobRun`` row being executed) and
returning a short text that becomes the run's output. Raising marks the run failed.

Two kinds:

- scheduled jobs (``@job``): a default schedule lives here; the ``JobSchedule`` table
  overrides it and is what users edit;
- on-demand tasks (``@task``): no schedule; a feature queues a run with parameters
  (``workbench.services.queue_task``) for long work a person starts (an import, an
  evidence pack). Tasks report progress and a result (``workbench.tasks``), are shown
  on a progress page, and appear in the run history but never in the schedule UI.
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
    func: Callable[[Any], Any]
    description: str
    cron: str = ""
    interval_seconds: int | None = None
    on_demand: bool = False
    # Tasks only: who may queue one, what a person calls it, and the template that shows
    # its result on the progress page (context: ``run``, ``result``).
    perm: str = ""
    title: str = ""
    result_template: str = ""

    @property
    def label(self) -> str:
        return self.title or self.job_id


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


def task(
    task_id: str, *, description: str, perm: str, title: str = "", result_template: str = ""
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register a function as an on-demand task: no schedule, parameters in ``run.params``.

    The function may return a text (the run's output) or a ``workbench.tasks.TaskOutcome``
    (output and a JSON result), and raise ``workbench.tasks.TaskError`` for a failure a
    person can read (with an optional JSON result, e.g. the errors of a file).
    """
    if not perm:
        raise ValueError(f"Task {task_id}: name the permission needed to queue it.")

    def decorate(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
        _JOBS[task_id] = Job(
            task_id, func, description, on_demand=True, perm=perm, title=title, result_template=result_template
        )
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


def scheduled_jobs() -> dict[str, Job]:
    """The jobs that have a schedule (on-demand tasks left out)."""
    return {job_id: job for job_id, job in discover().items() if not job.on_demand}
