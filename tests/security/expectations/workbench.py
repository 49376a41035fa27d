"""Scheduler pages and API: job runs, jobs, run now, schedule edits."""

from __future__ import annotations

from typing import Any

from tests.security.expectations import API_ANON, Route, roles
from workbench.models import JobRun

VIEWERS = roles("admin_alice", "officer_olga", "it_ivan")  # access.view_job_runs
RUNNERS = roles("admin_alice", "it_ivan")  # access.run_jobs
EDITORS = roles("admin_alice", "it_ivan")  # workbench.change_jobschedule
JOB = "access.expire_api_tokens"


def _run(personas: Any) -> dict[str, Any]:
    run = JobRun.objects.create(job_id=JOB, trigger=JobRun.Trigger.COMMAND, status=JobRun.Status.SUCCEEDED)
    return {"run_id": run.pk}


def _api_run(personas: Any) -> dict[str, Any]:
    return {"pk": _run(personas)["run_id"]}


ROUTES = [
    Route("workbench:job_list", VIEWERS),
    Route("workbench:job_runs", VIEWERS),
    Route("workbench:job_run_detail", VIEWERS, kwargs=_run),
    Route("workbench:job_run_status", VIEWERS, kwargs=_run, note="htmx partial polled on the run page"),
    Route("workbench:job_run_now", RUNNERS, kwargs=lambda p: {"job_id": JOB}, method="post", ok=302),
    Route("workbench:job_schedule_edit", EDITORS, kwargs=lambda p: {"job_id": JOB}),
    Route("jobrun-list", VIEWERS, anonymous=API_ANON),
    Route("jobrun-detail", VIEWERS, kwargs=_api_run, anonymous=API_ANON),
    Route("job-list", VIEWERS, anonymous=API_ANON),
    Route("job-detail", VIEWERS, kwargs=lambda p: {"job_id": JOB}, anonymous=API_ANON),
    Route("job-run", RUNNERS, kwargs=lambda p: {"job_id": JOB}, method="post", ok=202, anonymous=API_ANON),
]
