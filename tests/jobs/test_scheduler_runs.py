"""Running jobs: every run is recorded, failures say what failed (tracebacks go to the log), one run at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audits.models import LogEntry
from jobs import leases, scheduler
from jobs.models import JobLease, JobRun, JobSchedule
from jobs.services import ensure_default_schedules, queue_job_run
from tests.jobs.conftest import JobsUnderTest

pytestmark = pytest.mark.django_db


def _run(job_id: str, **extra: Any) -> JobRun:
    return JobRun.objects.create(job_id=job_id, trigger=JobRun.Trigger.COMMAND, status=JobRun.Status.RUNNING, **extra)


def test_a_run_is_recorded_with_its_output_and_status(jobs_under_test: JobsUnderTest) -> None:
    run = scheduler.execute_run(_run("test.echo"))

    stored = JobRun.objects.get(pk=run.pk)
    assert stored.status == JobRun.Status.SUCCEEDED
    assert stored.output == f"hello from run {run.pk}"
    assert stored.error == ""
    assert stored.started_at is not None and stored.finished_at is not None
    assert stored.finished_at >= stored.started_at
    assert stored.worker == leases.WORKER_ID
    assert jobs_under_test.calls == [run.pk]
    lease = JobLease.objects.get(job_id="test.echo")
    assert lease.holder == "" and lease.expires_at is None, "the lease is released after the run"


def test_a_failing_job_is_recorded_as_failed_with_the_traceback_in_the_log_only(
    jobs_under_test: JobsUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    run = scheduler.execute_run(_run("test.fail"))

    stored = JobRun.objects.get(pk=run.pk)
    assert stored.status == JobRun.Status.FAILED
    # Shown on pages and by the API: what failed, never a traceback, a path or the exception's text.
    assert "RuntimeError" in stored.error and "log" in stored.error
    assert "Traceback" not in stored.error and "the disk is full" not in stored.error
    assert ".py" not in stored.error
    assert "RuntimeError: the disk is full" in caplog.text  # the operator finds it in the log
    assert stored.finished_at is not None
    assert JobLease.objects.get(job_id="test.fail").holder == "", "a failed run releases its lease too"


def test_a_run_of_a_job_that_is_no_longer_registered_fails_readably(jobs_under_test: JobsUnderTest) -> None:
    run = scheduler.execute_run(_run("gone.job"))

    assert run.status == JobRun.Status.FAILED
    assert "No job is registered with the id 'gone.job'" in JobRun.objects.get(pk=run.pk).error


def test_a_run_whose_lease_is_held_by_another_live_holder_is_skipped(jobs_under_test: JobsUnderTest) -> None:
    until = timezone.now() + timedelta(minutes=4)
    JobLease.objects.create(job_id="test.echo", holder="other-host:4242:abc", expires_at=until)

    run = scheduler.execute_run(_run("test.echo"))

    stored = JobRun.objects.get(pk=run.pk)
    assert stored.status == JobRun.Status.SKIPPED
    assert "other-host:4242:abc" in stored.output
    assert jobs_under_test.calls == [], "the job body must not run while someone else holds the lease"
    lease = JobLease.objects.get(job_id="test.echo")
    assert lease.holder == "other-host:4242:abc", "a skipped run leaves the other holder's lease alone"


def test_an_expired_lease_of_a_dead_holder_is_taken_over(jobs_under_test: JobsUnderTest) -> None:
    JobLease.objects.create(
        job_id="test.echo", holder="crashed-host:1:abc", expires_at=timezone.now() - timedelta(seconds=1)
    )

    run = scheduler.execute_run(_run("test.echo"))

    assert JobRun.objects.get(pk=run.pk).status == JobRun.Status.SUCCEEDED
    assert jobs_under_test.calls == [run.pk]


def test_run_now_is_queued_and_runscheduler_once_runs_it_as_the_requester(
    jobs_under_test: JobsUnderTest, personas: Any
) -> None:
    ivan = personas["it_ivan"]
    run = queue_job_run(actor=ivan, job_id="test.audited")
    assert run.status == JobRun.Status.QUEUED
    assert run.trigger == JobRun.Trigger.MANUAL
    assert run.requested_by == ivan

    out = StringIO()
    call_command("runscheduler", "--once", stdout=out)

    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.output == "marker written"
    assert f"test.audited: Succeeded (run #{run.pk})" in out.getvalue()
    marker = JobSchedule.objects.get(job_id=f"marker-{run.pk}")
    entry = LogEntry.objects.get(content_type__model="jobschedule", object_pk=str(marker.pk))
    assert entry.actor == ivan, "the audit trail names the person who pressed Run now"
    assert entry.additional_data["via"] == "job:test.audited"
    assert entry.additional_data["run_id"] == run.pk


def _not_the_slow_job() -> None:
    """An hour or a day later ``test.slow`` comes due too, and waits 20 s for a release these
    tests never give (the tests of overlapping runs release it)."""
    JobSchedule.objects.filter(job_id="test.slow").update(enabled=False)


def test_a_scheduled_run_names_no_person_but_the_job(jobs_under_test: JobsUnderTest) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 4, 30, tzinfo=UTC), tick=False):
        ensure_default_schedules()
        _not_the_slow_job()
    with time_machine.travel(datetime(2026, 3, 3, 5, 0, 1, tzinfo=UTC), tick=False):
        call_command("runscheduler", "--once", stdout=StringIO())

    run = JobRun.objects.get(job_id="test.audited")
    assert run.trigger == JobRun.Trigger.SCHEDULE
    assert run.status == JobRun.Status.SUCCEEDED
    entry = LogEntry.objects.get(
        content_type__model="jobschedule", object_pk=str(JobSchedule.objects.get(job_id=f"marker-{run.pk}").pk)
    )
    assert entry.actor is None
    assert entry.additional_data["via"] == "job:test.audited"


def test_runscheduler_once_runs_a_due_schedule_once_and_not_again(jobs_under_test: JobsUnderTest) -> None:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ensure_default_schedules()  # test.echo: every 60 s, counted from now
        call_command("runscheduler", "--once", stdout=StringIO())
    assert jobs_under_test.calls == [], "nothing is due the moment the schedule is created"

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        call_command("runscheduler", "--once", stdout=StringIO())
        call_command("runscheduler", "--once", stdout=StringIO())  # a second process a moment later
    runs = JobRun.objects.filter(job_id="test.echo")
    assert [(r.trigger, r.status) for r in runs] == [(JobRun.Trigger.SCHEDULE, JobRun.Status.SUCCEEDED)]

    with time_machine.travel(start + timedelta(seconds=125), tick=False):
        call_command("runscheduler", "--once", stdout=StringIO())
    assert JobRun.objects.filter(job_id="test.echo").count() == 2


def test_a_disabled_schedule_is_not_run(jobs_under_test: JobsUnderTest) -> None:
    start = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        ensure_default_schedules()
        _not_the_slow_job()
        JobSchedule.objects.filter(job_id="test.echo").update(enabled=False)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        call_command("runscheduler", "--once", stdout=StringIO())
    assert not JobRun.objects.filter(job_id="test.echo").exists()


def test_run_job_command_records_a_command_run(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    out = StringIO()
    call_command("run_job", "test.echo", "--actor", "it_ivan@example.test", stdout=out)

    run = JobRun.objects.get(job_id="test.echo")
    assert run.trigger == JobRun.Trigger.COMMAND
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.requested_by == personas["it_ivan"]
    assert "succeeded" in out.getvalue()


def test_run_job_command_fails_with_a_non_zero_exit_when_the_job_fails(jobs_under_test: JobsUnderTest) -> None:
    with pytest.raises(CommandError, match="Failed"):
        call_command("run_job", "test.fail", stdout=StringIO(), stderr=StringIO())
    assert JobRun.objects.get(job_id="test.fail").status == JobRun.Status.FAILED


def test_run_job_command_refuses_unknown_jobs_and_actors(jobs_under_test: JobsUnderTest) -> None:
    with pytest.raises(CommandError, match="No job is registered"):
        call_command("run_job", "nope.nothing")
    with pytest.raises(CommandError, match="--actor"):
        call_command("run_job", "test.echo", "--actor", "nobody@example.test")
    assert not JobRun.objects.exists()


def test_lost_runs_are_reaped_when_their_worker_died(jobs_under_test: JobsUnderTest) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        lost = _run("test.echo", started_at=timezone.now())
    with time_machine.travel(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), tick=False):
        assert scheduler.reap_lost_runs() == 1
    lost.refresh_from_db()
    assert lost.status == JobRun.Status.FAILED
    assert "stopped before the run finished" in lost.error
