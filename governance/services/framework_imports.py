"""Framework imports as queued work: the request keeps the upload, the scheduler imports it.

A page or the API checks the upload (present, not empty, at most 20 MB, a known
format), keeps the file privately under the var directory (never under static or
media files that are served), and queues the ``governance.import_framework`` task on
behalf of the person. The scheduler runs it (``governance.jobs``) through the same
``import_framework`` service as the command line, as that person, and deletes the
kept file after the run, whatever its outcome.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from access.models import User
from core.permissions import require_perm
from governance.importers import EXTENSIONS as FORMAT_OF_EXTENSION
from governance.importers import FORMATS
from governance.services.frameworks import MAX_FILE_BYTES
from jobs.models import JobRun
from jobs.services import queue_task

IMPORT_TASK = "governance.import_framework"
MAX_FILENAME = 255
STALE_AFTER = timedelta(hours=6)


def upload_dir() -> Path:
    """Where queued uploads wait for the scheduler: private, under the var directory."""
    configured = getattr(settings, "TASK_FILES_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "task-files"


def check_upload(*, size: int, filename: str, fmt: str | None) -> str:
    """The format of an upload, or ``ValidationError`` naming the field (``file`` or ``format``)."""
    if size <= 0:
        raise ValidationError({"file": "The file is empty; choose a framework file."})
    if size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        raise ValidationError({"file": f"The file is larger than {limit} MB; split it into smaller frameworks."})
    if fmt:
        if fmt not in FORMATS:
            raise ValidationError({"format": f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}."})
        return fmt
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in FORMAT_OF_EXTENSION:
        known = ", ".join(sorted(FORMAT_OF_EXTENSION))
        raise ValidationError(
            {"file": f"The file name {filename!r} does not say its format ({known}); rename it or choose the format."}
        )
    return FORMAT_OF_EXTENSION[suffix]


def _keep(data: bytes, fmt: str) -> Path:
    folder = upload_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"framework-{secrets.token_hex(16)}.{fmt}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return path


def queue_framework_import(
    *, actor: User, data: bytes, filename: str, fmt: str | None = None, allow_older: bool = False
) -> JobRun:
    """Check and keep the upload, then queue its import as ``actor``; returns the queued run.

    ``allow_older`` is the person's confirmation that the file may replace a newer version.
    """
    require_perm(actor, "governance.add_framework")
    chosen = check_upload(size=len(data), filename=filename, fmt=fmt)
    path = _keep(data, chosen)
    params: dict[str, Any] = {"file": path.name, "filename": (filename or "")[:MAX_FILENAME], "format": chosen}
    if allow_older:
        params["allow_older"] = True
    try:
        return queue_task(actor=actor, task_id=IMPORT_TASK, params=params)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def clear_stale_uploads(*, older_than: timedelta = STALE_AFTER) -> int:
    """Delete kept uploads that no queued or running import will read (e.g. a run reaped as lost).

    A run deletes its file itself; this catches the rest. Files younger than ``older_than``
    are left alone, so an upload being queued right now is never taken away.
    """
    folder = upload_dir()
    if not folder.is_dir():
        return 0
    waiting = JobRun.objects.filter(job_id=IMPORT_TASK, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING])
    needed = {kept_upload(params).name for params in waiting.values_list("params", flat=True)}
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in folder.glob("framework-*"):
        if path.name not in needed and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def kept_upload(params: dict[str, Any]) -> Path:
    """The kept file a run's parameters name, never outside the upload directory."""
    name = PurePath(str(params.get("file") or "")).name
    return upload_dir() / (name or "missing")
