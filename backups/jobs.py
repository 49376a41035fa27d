"""Jobs of the backups app.

The scheduler's jobs come from ``@job`` registrations, while each backup plan has a schedule of
its own in the database. So one job, ``backups.run_due_plans``, runs every minute and starts each
active plan whose cron slot is due (under the plan's lease, so two schedulers or a "Run now"
never back up one plan twice at once), records sets left running by a dead process as failed,
and mails the IT administrators about missed slots and missed drills. ``backups.restore_drill``
drills the newest set weekly. ``backups.run_plan`` is the queued "Run now", with progress.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from backups.models import BackupPlan, BackupSet
from backups.services import drills as drill_services
from backups.services import runs
from backups.services.alerts import send_alert
from backups.services.errors import BackupBusyError, BackupError
from backups.services.schedule import is_missed, last_scheduled_starts, next_run_at
from core.jobs_registry import job, task
from jobs.models import JobRun
from jobs.tasks import TaskError, TaskOutcome, report_progress

log = logging.getLogger(__name__)
RUN_PLAN_TASK = runs.RUN_PLAN_TASK


def _alert_missed(plan: BackupPlan, due: Any) -> None:
    """Mail once per missed slot (the slot is kept on the plan without touching its schedule)."""
    if plan.missed_alert_for == due:
        return
    BackupPlan.objects.filter(pk=plan.pk).update(missed_alert_for=due)  # update(): updated_at stays
    send_alert(
        f"backup of {plan.name} missed",
        f"The backup of plan {plan.name} due at {due:%Y-%m-%d %H:%M} UTC did not start (was the scheduler "
        "stopped?). It is started now to catch up.",
    )


@job(
    "backups.run_due_plans",
    description="Start every backup plan whose schedule is due; mail about missed backups and drills.",
    cron="* * * * *",
    title="Run due backup plans",
)
def run_due_plans(run: Any) -> str:
    reaped = runs.reap_interrupted_sets()
    plans = list(BackupPlan.objects.filter(active=True).order_by("pk"))
    last = last_scheduled_starts(plans)
    done, busy, failed = [], [], []
    for plan in plans:
        due = next_run_at(plan, last.get(plan.pk))
        if due is None or due > timezone.now():
            continue
        if is_missed(due):
            _alert_missed(plan, due)
        try:
            backup_set = runs.run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.SCHEDULE)
        except BackupBusyError:
            busy.append(plan.name)
        except BackupError as exc:
            failed.append(f"{plan.name}: {exc}")
        else:
            done.append(f"{plan.name} -> {backup_set.set_id}")
    drill_services.record_missed_drill()
    parts = [f"Backed up {len(done)} plan(s)" + (f": {', '.join(done)}" if done else "")]
    if busy:
        parts.append(f"already running: {', '.join(busy)}")
    if reaped:
        parts.append(f"{reaped} interrupted set(s) recorded failed")
    if failed:
        raise BackupError("; ".join([*parts, *(f"FAILED {f}" for f in failed)]))
    return "; ".join(parts) + "."


@job(
    "backups.restore_drill",
    description="Restore the newest verified set into a scratch database and folder, check it, record the result.",
    cron="0 4 * * 0",
    title="Restore drill",
)
def restore_drill(run: Any) -> str:
    drill = drill_services.run_drill()
    if drill is None:
        return "No backup set yet; nothing to drill."
    if drill.result != drill.Result.PASSED:
        raise BackupError(f"Restore drill {drill.result}: {drill.summary}")
    return f"Restore drill passed in {drill.duration_seconds:.1f} s: {drill.summary}"


@task(
    RUN_PLAN_TASK,
    description="Back up one plan now (queued from the backups page).",
    title="Backup now",
    perm=runs.RUN_PERM,
    result_template="backups/_run_result.html",
)
def run_plan(run: JobRun) -> TaskOutcome:
    plan = BackupPlan.objects.filter(pk=run.params.get("plan")).first()
    if plan is None:
        raise TaskError("The plan no longer exists.")

    def progress(phase: str, done: int | None, total: int | None) -> None:
        report_progress(run, phase if total is None else f"{phase}, MiB", done=done, total=total)

    reporter = runs.RunReporter(on_progress=progress)
    try:
        backup_set = runs.run_backup(
            plan=plan, actor=run.requested_by, trigger=BackupSet.Trigger.MANUAL, reporter=reporter
        )
    except BackupError as exc:
        raise TaskError(str(exc)) from exc
    report_progress(run, "Done")
    verified = "verified" if backup_set.verify_ok else "DID NOT VERIFY"
    size = backup_set.ciphertext_bytes
    summary = f"Set {backup_set.set_id} of {plan.name}: {len(backup_set.files)} file(s), {size} bytes, {verified}."
    return TaskOutcome(summary, {"set_id": backup_set.set_id, "verify_ok": backup_set.verify_ok, "summary": summary})
