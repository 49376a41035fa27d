"""Restore drills: the newest verified set restored into a scratch database and folder, checked, thrown away.

Checks: the set verifies and decrypts; the restored database has the manifest's migrations and
row counts; its integrity check passes (SQLite ``integrity_check`` and ``foreign_key_check``;
PostgreSQL: ``pg_restore`` stopped at no error and every constraint is validated); the audit
trail's hash chain verifies in the restored database and agrees with the signed checkpoint the
manifest carries (``manage.py verify_audit_trail --full --checkpoints manifest.json``, run on the
restored database); and the restored folder holds as many files as the manifest says.

The private key is read from the file ``settings.RAMPART_DRILL_IDENTITY_FILE``; it is never
stored in the database.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from backups.age import AgeError, load_identities
from backups.database import DatabaseTarget, postgres_integrity_problems, sqlite_integrity_problems
from backups.models import BackupSet, RestoreDrill
from backups.services.alerts import send_alert
from backups.services.errors import BackupError
from backups.services.restore import RestoreReport, discard, locate_set, manifest_file, restore_set

AUDIT_TABLE = "audits_logentry"
CHAIN_TIMEOUT = 3600


def drill_identity_file() -> Path | None:
    configured = getattr(settings, "RAMPART_DRILL_IDENTITY_FILE", "")
    return Path(configured) if configured else None


def drill_max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "RAMPART_DRILL_MAX_AGE_DAYS", 8)))


def drill_candidate() -> BackupSet | None:
    """The newest complete, verified set that holds a database."""
    sets = BackupSet.objects.filter(status=BackupSet.Status.COMPLETE, verify_ok=True).order_by("-started_at", "-pk")
    return next((s for s in sets.iterator(chunk_size=50) if s.database_vendor), None)


def _check(checks: list[dict[str, Any]], name: str, ok: bool, detail: str) -> None:
    checks.append({"name": name, "ok": ok, "detail": detail})


def _compare(checks: list[dict[str, Any]], manifest: dict[str, Any], report: RestoreReport) -> None:
    expected = manifest.get("database") or {}
    snapshot = report.snapshot
    if snapshot is None:
        _check(checks, "migrations", False, "the restored database could not be read")
        return
    same = snapshot.migrations == expected.get("migrations")
    applied = sum(len(names) for names in snapshot.migrations.values())
    _check(checks, "migrations", same, f"{applied} applied, as in the manifest" if same else "differ from the manifest")
    counts = expected.get("row_counts") or {}
    wrong = sorted(t for t in set(counts) | set(snapshot.row_counts) if counts.get(t) != snapshot.row_counts.get(t))
    detail = (
        f"{len(counts)} tables, {sum(snapshot.row_counts.values())} rows, as in the manifest"
        if not wrong
        else "differ: " + ", ".join(f"{t} {snapshot.row_counts.get(t)} (manifest {counts.get(t)})" for t in wrong[:10])
    )
    _check(checks, "row counts", not wrong, detail)


def _integrity(checks: list[dict[str, Any]], target: DatabaseTarget) -> None:
    problems = (
        sqlite_integrity_problems(Path(target.name))
        if target.vendor == "sqlite"
        else postgres_integrity_problems(target)
    )
    _check(checks, "integrity", not problems, "; ".join(problems[:10]) if problems else "no problem found")


def _audit_chain(checks: list[dict[str, Any]], target: DatabaseTarget, report: RestoreReport) -> None:
    if report.snapshot is None or AUDIT_TABLE not in report.snapshot.row_counts:
        _check(checks, "audit trail", True, "not applicable: the set holds no audit trail")
        return
    manifest_path = manifest_file(report.manifest)
    try:
        env = target.process_env()
        env["RAMPART_KEY_DIR"] = str(settings.RAMPART_KEY_DIR)  # the public keys that signed the checkpoint
        env["RAMPART_CHECKPOINT_FILE"] = str(manifest_path.parent / "no-held-checkpoints.jsonl")
        env["RAMPART_CHECKPOINT_STORAGE"] = ""
        env["RAMPART_SECRET_KEY"] = str(settings.SECRET_KEY)
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "verify_audit_trail", "--full"]
        command += ["--checkpoints", str(manifest_path)]
        result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            command, env=env, capture_output=True, text=True, timeout=CHAIN_TIMEOUT, check=False
        )
    finally:
        shutil.rmtree(manifest_path.parent, ignore_errors=True)
    output = " ".join((result.stdout + result.stderr).split())[:2000]
    _check(checks, "audit trail", result.returncode == 0, output or f"exit {result.returncode}")


def _files(checks: list[dict[str, Any]], manifest: dict[str, Any], report: RestoreReport) -> None:
    entry = next((f for f in manifest["files"] if f.get("kind") == "files"), None)
    if entry is None or report.files is None:
        return
    ok = report.files.members == entry.get("members")
    _check(checks, "stored files", ok, f"{report.files.members} files restored, manifest {entry.get('members')}")


def _finish(drill: RestoreDrill, started: float, checks: list[dict[str, Any]], summary: str) -> RestoreDrill:
    passed = bool(checks) and all(c["ok"] for c in checks)
    drill.result = RestoreDrill.Result.PASSED if passed else RestoreDrill.Result.FAILED
    drill.finished_at = timezone.now()
    drill.duration_seconds = round(time.monotonic() - started, 3)
    failed = [f"{c['name']}: {c['detail']}" for c in checks if not c["ok"]]
    drill.summary = summary if passed else (summary + " " + "; ".join(failed)).strip()
    drill.details = {**drill.details, "checks": checks}
    drill.save()
    if not passed:
        send_alert(
            f"restore drill of {drill.set_id or 'the newest set'} failed",
            f"The restore drill started {drill.started_at:%Y-%m-%d %H:%M} UTC failed:\n\n{drill.summary}",
        )
    return drill


def run_drill(*, identity_file: Path | None = None) -> RestoreDrill | None:
    """Drill the newest verified set; ``None`` when there is no set yet (nothing to drill)."""
    candidate = drill_candidate()
    if candidate is None and not BackupSet.objects.filter(status=BackupSet.Status.COMPLETE).exists():
        return None
    started = time.monotonic()
    drill = RestoreDrill.objects.create(backup_set=candidate, set_id=candidate.set_id if candidate else "")
    checks: list[dict[str, Any]] = []
    if candidate is None:
        _check(checks, "set", False, "no complete set with a database verifies")
        return _finish(drill, started, checks, "Nothing to restore.")
    path = identity_file or drill_identity_file()
    if path is None:
        _check(
            checks,
            "identity",
            False,
            "no identity file: set RAMPART_DRILL_IDENTITY_FILE to a file holding a private key",
        )
        return _finish(drill, started, checks, "The drill cannot decrypt.")
    try:
        identities = load_identities(path)
    except (OSError, AgeError) as exc:
        _check(checks, "identity", False, f"{path} cannot be read as an age identity file: {exc}")
        return _finish(drill, started, checks, "The drill cannot decrypt.")
    try:
        report = restore_set(located=locate_set(candidate.set_id), identities=identities)
    except BackupError as exc:
        _check(checks, "restore", False, str(exc))
        return _finish(drill, started, checks, f"Set {candidate.set_id} could not be restored.")
    try:
        drill.details = {
            "database": report.database.describe() if report.database else "",
            "vendor": candidate.database_vendor,
        }
        _check(
            checks,
            "restore",
            True,
            f"decrypted and restored into {report.database.describe() if report.database else 'no database'}",
        )
        _compare(checks, report.manifest, report)
        if report.database is not None:
            _integrity(checks, report.database)
            _audit_chain(checks, report.database, report)
        _files(checks, report.manifest, report)
    finally:
        discard(report)
    return _finish(drill, started, checks, f"Set {candidate.set_id} restored and checked.")


def record_missed_drill() -> RestoreDrill | None:
    """When no drill ran for longer than allowed while sets exist, record (once) and mail a missed drill."""
    cutoff = timezone.now() - drill_max_age()
    if not BackupSet.objects.filter(status=BackupSet.Status.COMPLETE, started_at__lt=cutoff).exists():
        return None
    last = RestoreDrill.objects.order_by("-started_at").first()
    if last is not None and (last.started_at >= cutoff or last.result == RestoreDrill.Result.MISSED):
        return None
    since = f"since {last.started_at:%Y-%m-%d}" if last is not None else "ever"
    drill = RestoreDrill.objects.create(
        result=RestoreDrill.Result.MISSED,
        finished_at=timezone.now(),
        summary=f"No restore drill ran {since}; drills are due weekly (job backups.restore_drill).",
    )
    send_alert("restore drill missed", drill.summary)
    return drill
