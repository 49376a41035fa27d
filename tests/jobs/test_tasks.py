"""On-demand tasks: queued with parameters by the person who may, run as that person with
progress and a result, kept out of the schedules but listed in the run history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from audits.models import LogEntry
from core import jobs_registry
from core.errors import NotFoundError, PermissionDeniedError
from core.jobs_registry import task
from jobs import leases, scheduler, selectors
from jobs.models import JobLease, JobRun, JobSchedule
from jobs.services import ensure_default_schedules, queue_job_run, queue_task
from jobs.tasks import TaskError, TaskOutcome, report_progress
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks_under_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """``test.count`` (needs governance.add_framework), which counts to ``params["n"]`` and marks a change."""
    monkeypatch.setattr(jobs_registry, "_JOBS", dict(jobs_registry.discover()))
    seen: list[Any] = []

    @task("test.count", description="Counts.", title="Counting", perm="governance.add_framework")
    def count(run: JobRun) -> TaskOutcome:
        n = int(run.params["n"])
        if n < 0:
            raise TaskError("n must not be negative", result={"field": "n"})
        for i in range(n):
            report_progress(run, "Counting", done=i + 1, total=n)
        seen.append(JobLease.objects.filter(job_id=f"test.count#{run.pk}").exclude(holder="").exists())
        JobSchedule.objects.create(job_id=f"counted-{run.pk}", cron="0 0 * * *")  # an audited change
        return TaskOutcome(f"counted to {n}", {"n": n})

    yield seen


def test_a_task_is_queued_with_parameters_and_run_as_the_person(
    personas: Personas, tasks_under_test: list[Any]
) -> None:
    olga = personas["officer_olga"]
    run = queue_task(actor=olga, task_id="test.count", params={"n": 3})
    assert (run.status, run.trigger, run.requested_by) == (JobRun.Status.QUEUED, JobRun.Trigger.TASK, olga)

    scheduler.run_once()

    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert (run.output, run.result) == ("counted to 3", {"n": 3})
    assert (run.progress_phase, run.progress_done, run.progress_total, run.progress_percent) == ("Counting", 3, 3, 100)
    assert tasks_under_test == [True], "the run held a lease of its own while it ran"
    assert not JobLease.objects.filter(job_id__startswith="test.count").exists(), "and it is gone afterwards"
    marker = JobSchedule.objects.get(job_id=f"counted-{run.pk}")
    entry = LogEntry.objects.get(content_type__model="jobschedule", object_pk=str(marker.pk))
    assert entry.actor == olga
    assert entry.additional_data["via"] == "job:test.count"


def test_a_task_error_fails_the_run_with_its_message_and_result(
    personas: Personas, tasks_under_test: list[Any]
) -> None:
    run = queue_task(actor=personas["officer_olga"], task_id="test.count", params={"n": -1})
    scheduler.run_once()
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    assert (run.error, run.result) == ("n must not be negative", {"field": "n"})


def test_only_holders_of_the_task_permission_may_queue_it(personas: Personas, tasks_under_test: list[Any]) -> None:
    with pytest.raises(PermissionDeniedError):
        queue_task(actor=personas["it_ivan"], task_id="test.count", params={"n": 1})
    with pytest.raises(NotFoundError):
        queue_task(actor=personas["admin_alice"], task_id="access.expire_api_tokens", params={})
    assert not JobRun.objects.exists()


def test_two_runs_of_a_task_do_not_skip_each_other(personas: Personas, tasks_under_test: list[Any]) -> None:
    first = queue_task(actor=personas["officer_olga"], task_id="test.count", params={"n": 1})
    JobLease.objects.create(job_id="test.count", holder="someone", expires_at=timezone.now() + timedelta(minutes=5))
    second = queue_task(actor=personas["officer_olga"], task_id="test.count", params={"n": 2})
    scheduler.run_once()
    statuses = set(JobRun.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == {JobRun.Status.SUCCEEDED}


def test_tasks_stay_out_of_the_schedules_but_appear_in_the_run_history(
    personas: Personas, tasks_under_test: list[Any]
) -> None:
    ensure_default_schedules()
    assert not JobSchedule.objects.filter(job_id__in=["test.count", "governance.import_framework"]).exists()
    ivan = personas.client("it_ivan")
    jobs_page = ivan.get(reverse("jobs:job_list")).content.decode()
    assert "access.expire_api_tokens" in jobs_page and "test.count" not in jobs_page
    assert "governance.import_framework" not in jobs_page
    assert ivan.get(reverse("jobs:job_schedule_edit", args=["test.count"])).status_code == 404
    assert ivan.post(reverse("jobs:job_run_now", args=["test.count"])).status_code == 404
    assert "test.count" not in [row["job_id"] for row in ivan.get(reverse("job-list")).json()]
    with pytest.raises(NotFoundError):
        queue_job_run(actor=personas["admin_alice"], job_id="test.count")

    run = queue_task(actor=personas["officer_olga"], task_id="test.count", params={"n": 1})
    assert ("test.count", "Counting") in selectors.job_choices()  # offered by its name
    history = ivan.get(reverse("jobs:job_runs"), {"job": "test.count"}).content.decode()
    assert reverse("jobs:job_run_detail", args=[run.pk]) in history


def test_run_job_refuses_a_task(tasks_under_test: list[Any]) -> None:
    with pytest.raises(CommandError, match="on-demand task"):
        call_command("run_job", "test.count", stdout=StringIO())


def test_a_run_left_running_by_a_dead_worker_is_reaped_unless_its_lease_lives(
    personas: Personas, tasks_under_test: list[Any], settings: Any
) -> None:
    long_ago = timezone.now() - timedelta(seconds=3 * settings.SCHEDULER_LEASE_SECONDS)
    alive, dead = (
        JobRun.objects.create(
            job_id="test.count", trigger=JobRun.Trigger.TASK, status=JobRun.Status.RUNNING, started_at=long_ago
        )
        for _ in range(2)
    )
    JobLease.objects.create(
        job_id=f"test.count#{alive.pk}", holder="worker", expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert scheduler.reap_lost_runs() == 1
    alive.refresh_from_db()
    dead.refresh_from_db()
    assert (alive.status, dead.status) == (JobRun.Status.RUNNING, JobRun.Status.FAILED)


def test_the_heartbeat_says_whether_a_scheduler_polled_recently(settings: Any) -> None:
    assert not leases.scheduler_is_alive()
    leases.beat()
    assert leases.scheduler_is_alive()
    leases.beat()  # renewing keeps one row
    assert JobLease.objects.filter(job_id=leases.HEARTBEAT_ID).count() == 1
    JobLease.objects.filter(job_id=leases.HEARTBEAT_ID).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not leases.scheduler_is_alive()
