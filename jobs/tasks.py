"""What an on-demand task (``@task``) uses while it runs: progress, outcome, readable failure.

Progress is written at once with a plain UPDATE of the run row, so the progress page
(another session) sees it. It must be reported *outside* the task's own transaction:
work that writes all or nothing in one transaction reports its phases around it
(reading, validating, writing, done), never inside it. Inside a transaction the
update would only become visible when the transaction commits, and on SQLite another
connection could not write at all until then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from jobs.models import JobRun

MAX_PHASE = 200


@dataclass
class TaskOutcome:
    """What a task returns: a one-line output for the run history and a JSON result for its page."""

    output: str
    result: dict[str, Any] = field(default_factory=dict)


class TaskError(Exception):
    """A failure a person can read and act on (the run fails with this message, no traceback)."""

    def __init__(self, message: str, *, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result or {}


def report_progress(run: JobRun, phase: str, *, done: int | None = None, total: int | None = None) -> None:
    """Say how far ``run`` got: a phase in words and, when known, counts of the work done."""
    values = {
        "progress_phase": phase[:MAX_PHASE],
        "progress_done": done,
        "progress_total": total,
        "progress_at": timezone.now(),
    }
    JobRun.objects.filter(pk=run.pk).update(**values)
    for name, value in values.items():
        setattr(run, name, value)
