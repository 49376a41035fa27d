"""Scheduler pages and API: job runs, jobs, run now, schedule edits."""

from __future__ import annotations

from typing import Any

from jobs.models import JobRun
from tests.security.expectations import API_ANON, Route, roles

VIEWERS = roles("admin_alice", "officer_olga", "it_ivan")  # access.view_job_runs
RUNNERS = roles("admin_alice", "it_ivan")  # access.run_jobs
EDITORS = roles("admin_alice", "it_ivan")  # workbench.change_jobschedule
JOB = "access.expire_api_tokens"


def _run(personas: Any) -> dict[str, Any]:
    run = JobRun.objects.create(job_id=JOB, trigger=JobRun.Trigger.COMMAND, status=JobRun.Status.SUCCEEDED)
    return {"run_id": run.pk}


def _api_run(personas: Any) -> dict[str, Any]:
    return {"pk": _run(personas)["run_id"]}


def _employees_task(personas: Any) -> dict[str, Any]:
    """A task run queued by Emil, who may not read job runs: he sees his own progress page."""
    run = JobRun.objects.create(
        job_id="governance.import_framework",
        trigger=JobRun.Trigger.TASK,
        status=JobRun.Status.QUEUED,
        requested_by=personas["employee_emil"],
    )
    return {"run_id": run.pk}


# The progress page of a task: whoever queued it and the job-run viewers; others get 404.
PROGRESS_READERS = VIEWERS | roles("employee_emil")


ROUTES = [
    Route("jobs:job_list", VIEWERS),
    Route("jobs:job_runs", VIEWERS),
    Route("jobs:job_run_detail", VIEWERS, kwargs=_run),
    Route("jobs:job_run_status", VIEWERS, kwargs=_run, note="htmx partial polled on the run page"),
    Route("jobs:task_progress", PROGRESS_READERS, kwargs=_employees_task, denied=(404,)),
    Route("jobs:task_progress_status", PROGRESS_READERS, kwargs=_employees_task, denied=(404,)),
    Route("jobs:job_run_now", RUNNERS, kwargs=lambda p: {"job_id": JOB}, method="post", ok=302),
    Route("jobs:job_schedule_edit", EDITORS, kwargs=lambda p: {"job_id": JOB}),
    Route("jobrun-list", VIEWERS, anonymous=API_ANON),
    # One run is also open to whoever queued it (none here); others get 404.
    Route("jobrun-detail", VIEWERS, kwargs=_api_run, anonymous=API_ANON, denied=(404,)),
    Route("job-list", VIEWERS, anonymous=API_ANON),
    Route("job-detail", VIEWERS, kwargs=lambda p: {"job_id": JOB}, anonymous=API_ANON),
    Route("job-run", RUNNERS, kwargs=lambda p: {"job_id": JOB}, method="post", ok=202, anonymous=API_ANON),
]
