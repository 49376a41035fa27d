"""The registry of jobs. Each app lists its jobs in ``<app>/jobs.py``.

A job is a plain function taking ``run`` (the ``JobRun`` row being executed) and
returning a short text that becomes the run's output. Raising marks the run failed.

Two kinds:

- scheduled jobs (``@job``): a default schedule lives here; the ``JobSchedule`` table
  overrides it and is what users edit;
- on-demand tasks (``@task``): no schedule; a feature queues a run with parameters
  (``jobs.services.queue_task``) for long work a person starts (an import, an
  evidence pack). Tasks report progress and a result (``jobs.tasks``), are shown
  on a progress page, and appear in the run history but never in the schedule UI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.discovery import discover_modules


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
        """What a person calls the job: its title, else its id read as words ("Expire API tokens")."""
        return self.title or job_label(self.job_id)


_JOBS: dict[str, Job] = {}
# Words that read better in capitals when a job id becomes a name.
_ACRONYMS = {"api": "API", "mfa": "MFA", "osv": "OSV", "totp": "TOTP", "csv": "CSV"}


def job_label(job_id: str) -> str:
    """A registered job's name, or a job id read as words: ``access.expire_api_tokens`` -> "Expire API tokens"."""
    registered = _JOBS.get(job_id)
    if registered is not None and registered.title:
        return registered.title
    words = job_id.rsplit(".", 1)[-1].split("_")
    text = " ".join(_ACRONYMS.get(word, word) for word in words if word)
    return text[:1].upper() + text[1:] if text else job_id


def job(
    job_id: str, *, description: str, cron: str = "", interval_seconds: int | None = None, title: str = ""
) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Register a function as a scheduled job with its default schedule (``title``: its name for people)."""
    if bool(cron) == bool(interval_seconds):
        raise ValueError(f"Job {job_id}: give exactly one of cron or interval_seconds.")

    def decorate(func: Callable[[Any], str]) -> Callable[[Any], str]:
        _JOBS[job_id] = Job(job_id, func, description, cron, interval_seconds, title=title)
        return func

    return decorate


def task(
    task_id: str, *, description: str, perm: str, title: str = "", result_template: str = ""
) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    """Register a function as an on-demand task: no schedule, parameters in ``run.params``.

    The function may return a text (the run's output) or a ``jobs.tasks.TaskOutcome``
    (output and a JSON result), and raise ``jobs.tasks.TaskError`` for a failure a
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
    discover_modules("jobs")
    return dict(_JOBS)


def get_job(job_id: str) -> Job | None:
    return discover().get(job_id)


def scheduled_jobs() -> dict[str, Job]:
    """The jobs that have a schedule (on-demand tasks left out)."""
    return {job_id: job for job_id, job in discover().items() if not job.on_demand}
