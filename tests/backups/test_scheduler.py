"""Plans on the scheduler: one run per due slot, never two backups of one plan at once, "Run now"
queued with progress, and mail to the IT administrators when a backup fails or is missed."""

from __future__ import annotations

import queue
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection

from backups.models import BackupPlan, BackupSet, RestoreDrill
from backups.services.drills import record_missed_drill
from backups.services.errors import BackupBusyError
from backups.services.runs import lease_key, queue_backup_now, run_backup
from jobs import scheduler
from jobs.leases import acquire_lease, release_lease
from jobs.models import JobRun
from tests.backups.conftest import Backups

pytestmark = pytest.mark.django_db(transaction=True)

MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


@pytest.fixture
def plan(backups_env: Backups, recipient: Any) -> BackupPlan:
    backups_env.stored_file("a.txt", b"a")
    with time_machine.travel(MONDAY, tick=False):
        return BackupPlan.objects.create(name="Nightly", what=BackupPlan.What.FILES, cron="30 2 * * *")


def _due_plans() -> JobRun:
    return scheduler.run_job_now("backups.run_due_plans")


def _sets(plan: BackupPlan) -> list[BackupSet]:
    return list(BackupSet.objects.filter(plan=plan).order_by("started_at"))


def test_a_due_plan_runs_once_per_slot(plan: BackupPlan) -> None:
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):  # 02:00, not due yet
        assert _due_plans().status == JobRun.Status.SUCCEEDED
    assert _sets(plan) == []
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=31), tick=False):
        run = _due_plans()
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.output.startswith("Backed up 1 plan(s): Nightly -> ")
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=45), tick=False):
        _due_plans()
    [first] = _sets(plan)
    assert first.trigger == BackupSet.Trigger.SCHEDULE and first.verify_ok is True
    with time_machine.travel(MONDAY + timedelta(days=1, hours=1, minutes=31), tick=False):
        _due_plans()
    assert [s.trigger for s in _sets(plan)] == [BackupSet.Trigger.SCHEDULE] * 2
    assert mail.outbox == []


def test_a_plan_being_backed_up_is_never_started_twice(plan: BackupPlan, it_ivan: Any) -> None:
    assert acquire_lease(lease_key(plan), "another-scheduler:1")
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=31), tick=False):
        run = _due_plans()
    assert run.status == JobRun.Status.SUCCEEDED
    assert "already running: Nightly" in run.output
    with pytest.raises(BackupBusyError, match="already running"):
        run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND)
    queued = queue_backup_now(actor=it_ivan, plan=plan)
    scheduler.run_once()
    queued.refresh_from_db()
    assert queued.status == JobRun.Status.FAILED
    assert "A backup of Nightly is already running; it was not started twice." in queued.error
    assert _sets(plan) == []
    release_lease(lease_key(plan), "another-scheduler:1")
    with time_machine.travel(MONDAY + timedelta(hours=1, minutes=32), tick=False):
        _due_plans()
    assert len(_sets(plan)) == 1


def test_run_now_is_queued_and_reports_progress(plan: BackupPlan, it_ivan: Any) -> None:
    queued = queue_backup_now(actor=it_ivan, plan=plan)
    with pytest.raises(Exception, match="already queued or running"):
        queue_backup_now(actor=it_ivan, plan=plan)
    scheduler.run_once()
    queued.refresh_from_db()
    assert queued.status == JobRun.Status.SUCCEEDED, queued.error
    [made] = _sets(plan)
    assert made.trigger == BackupSet.Trigger.MANUAL and made.requested_by == it_ivan
    assert queued.result["set_id"] == made.set_id and queued.result["verify_ok"] is True
    assert queued.progress_phase == "Done"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises writers anyway")
def test_two_processes_racing_for_one_plan_back_it_up_once(plan: BackupPlan) -> None:
    barrier = threading.Barrier(2)
    results: queue.Queue[Any] = queue.Queue()

    def body() -> None:
        try:
            barrier.wait(timeout=10)
            results.put(run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.SCHEDULE))
        except Exception as exc:
            results.put(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = [results.get_nowait() for _ in range(2)]
    assert sorted(type(o).__name__ for o in outcomes) == ["BackupBusyError", "BackupSet"]
    assert len(_sets(plan)) == 1


def test_a_missed_slot_is_mailed_once_and_caught_up(plan: BackupPlan, it_ivan: Any, admin_alice: Any) -> None:
    with time_machine.travel(MONDAY + timedelta(hours=5), tick=False):  # the 02:30 slot passed 2.5 hours ago
        _due_plans()
        _due_plans()
    assert len(_sets(plan)) == 1  # one catch-up run
    [alert] = mail.outbox
    assert alert.to == [it_ivan.email]  # the IT administrators
    assert alert.subject == "[Rampart backups] backup of Nightly missed"
    assert "due at 2026-11-30 02:30 UTC did not start" in alert.body


def test_a_failed_backup_is_recorded_and_mailed(backups_env: Backups, recipient: Any, it_ivan: Any) -> None:
    plan = BackupPlan.objects.create(name="Broken", what=BackupPlan.What.FILES, destination="/proc/rampart-backups")
    with pytest.raises(Exception, match="failed"):
        run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND)
    [failed] = _sets(plan)
    assert failed.status == BackupSet.Status.FAILED and failed.error
    [alert] = mail.outbox
    assert alert.subject == "[Rampart backups] backup of Broken failed" and alert.to == [it_ivan.email]
    assert failed.set_id in alert.body


def test_a_set_left_running_by_a_dead_process_is_recorded_failed(plan: BackupPlan) -> None:
    with time_machine.travel(MONDAY, tick=False):
        stale = BackupSet.objects.create(set_id="20261130T010000Z-dead00", plan=plan, trigger="schedule")
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        run = _due_plans()
    assert "1 interrupted set(s) recorded failed" in run.output
    stale.refresh_from_db()
    assert stale.status == BackupSet.Status.FAILED
    assert "stopped before the set was complete" in stale.error


def test_a_missed_drill_is_recorded_and_mailed_once(plan: BackupPlan, it_ivan: Any) -> None:
    with time_machine.travel(MONDAY + timedelta(hours=2), tick=False):
        run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.SCHEDULE)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        assert record_missed_drill() is None  # the set is young; no drill was due yet
    with time_machine.travel(MONDAY + timedelta(days=9), tick=False):
        missed = record_missed_drill()
        assert record_missed_drill() is None
    assert missed is not None and missed.result == RestoreDrill.Result.MISSED
    [alert] = mail.outbox
    assert alert.subject == "[Rampart backups] restore drill missed"
