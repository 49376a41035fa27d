"""Jobs of governance: planned control tests, exception expiry, queued framework imports and their leftovers."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError
from core.jobs_registry import job, task
from governance.importers import FrameworkImportError
from governance.services import controls as control_services
from governance.services import framework_imports
from governance.services import frameworks as framework_services
from jobs.models import JobRun
from jobs.tasks import TaskError, TaskOutcome, report_progress


@job(
    "governance.schedule_control_tests",
    description="Plan the next test of every implemented control that has a test frequency.",
    cron="15 1 * * *",
)
def schedule_control_tests(run: Any) -> str:
    outcome = control_services.schedule_control_tests()
    return f"Planned {outcome.created} control test(s); moved the due date of {outcome.rescheduled}."


@job(
    "governance.expire_exceptions",
    description="Mark approved compliance exceptions past their end date expired, reopening what they covered.",
    cron="5 0 * * *",
)
def expire_exceptions(run: Any) -> str:
    from core.actor import acting
    from governance.services.exceptions import expire_exceptions as expire

    with acting(None, via="job:governance.expire_exceptions"):
        count = expire()
    return f"Expired {count} exception(s)."


@job(
    "governance.clear_stale_uploads",
    description="Delete uploaded framework files that no queued or running import will read any more.",
    cron="25 3 * * *",
)
def clear_stale_uploads(run: Any) -> str:
    return f"Deleted {framework_imports.clear_stale_uploads()} stale upload(s)."


@task(
    framework_imports.IMPORT_TASK,
    description="Import an uploaded framework file (queued from the upload page or the API).",
    title="Framework import",
    perm="governance.add_framework",
    result_template="governance/frameworks/_import_result.html",
)
def import_framework(run: JobRun) -> TaskOutcome:
    """Import the kept upload as the person who queued it; the kept file is deleted afterwards."""
    path = framework_imports.kept_upload(run.params)
    try:
        return _import(run, path.read_bytes() if path.is_file() else None)
    finally:
        path.unlink(missing_ok=True)


def _import(run: JobRun, data: bytes | None) -> TaskOutcome:
    if data is None:
        raise TaskError("The uploaded file is no longer there (it is deleted after a run); upload it again.")
    if run.requested_by is None:
        raise TaskError("Nobody is named as the importer of this run; upload the file again.")

    def progress(phase: str, *, done: int | None = None, total: int | None = None) -> None:
        report_progress(run, phase, done=done, total=total)

    try:
        report = framework_services.import_framework(
            actor=run.requested_by,
            data=data,
            filename=str(run.params.get("filename") or ""),
            fmt=str(run.params.get("format") or "") or None,
            allow_older=run.params.get("allow_older") is True,
            progress=progress,
            isolated=True,  # an uploaded file is parsed in a limited child process (jobs.isolation)
        )
    except FrameworkImportError as exc:
        raise TaskError(str(exc), result={"issues": [issue.as_dict() for issue in exc.issues]}) from exc
    except DomainError as exc:
        raise TaskError(str(exc)) from exc
    progress("Done", done=report.total, total=report.total)
    summary = report.summary()
    details = {**report.as_dict(), "framework_id": report.framework.pk, "name": report.framework.name}
    return TaskOutcome(summary, {"report": {**details, "summary": summary}})
