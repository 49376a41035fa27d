"""Restore drills: the newest verified set restored into a scratch database and folder and checked
(migrations, row counts, integrity, the audit trail's chain against the manifest's signed
checkpoint, the files), recorded with its duration, and thrown away."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audits.chain import verify_chain
from audits.checkpoints import MATCHES, check_checkpoints, read_checkpoints
from audits.models import ChainHead
from backups import evidence
from backups.manifest import encode, parse, sign_manifest
from backups.models import BackupSet, RestoreDrill
from backups.services.drills import run_drill
from backups.services.runs import run_backup
from core.evidence import collect_evidence
from jobs import scheduler
from jobs.models import JobRun
from tests.backups.conftest import Backups

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backed_up(backups_env: Backups, recipient: Any, personas: Any, settings: Any) -> BackupSet:
    backups_env.stored_file("uploads/a.txt", b"a")
    backups_env.stored_file("b.txt", b"b", storage="evidence")
    settings.RAMPART_DRILL_IDENTITY_FILE = str(backups_env.identity_file)
    return run_backup(plan=None, actor=None, trigger=BackupSet.Trigger.COMMAND)


def _database_exists(described: str) -> bool:
    """Whether the scratch database a drill names ("PostgreSQL database NAME on ...") is still there."""
    if connection.vendor != "postgresql":
        return Path(described.removeprefix("SQLite file ")).exists()
    name = described.removeprefix("PostgreSQL database ").split(" on ")[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def test_the_manifest_carries_an_audit_checkpoint_that_the_audit_verifier_accepts(
    backed_up: BackupSet, backups_env: Backups
) -> None:
    manifest_path = backups_env.set_dir(backed_up.set_id) / "manifest.json"
    found = read_checkpoints(manifest_path)
    assert found.problems == [] and len(found.checkpoints) == 1
    [check] = check_checkpoints(found.checkpoints, head_sequence=ChainHead.current().sequence)
    assert check.status == MATCHES
    assert check.checkpoint.as_json() == backed_up.manifest["audit_checkpoint"]
    assert verify_chain().ok


def test_a_drill_restores_checks_records_and_throws_away(backed_up: BackupSet, backups_env: Backups) -> None:
    run = scheduler.run_job_now("backups.restore_drill")
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    drill = RestoreDrill.objects.get()
    assert drill.result == RestoreDrill.Result.PASSED, drill.summary
    assert drill.backup_set == backed_up and drill.duration_seconds and drill.duration_seconds > 0
    checks = {c["name"]: c for c in drill.checks}
    assert list(checks) == ["restore", "migrations", "row counts", "integrity", "audit trail", "stored files"]
    assert all(c["ok"] for c in checks.values())
    assert "Checkpoints: 1 checked, 1 match" in checks["audit trail"]["detail"]
    assert checks["stored files"]["detail"] == "2 files restored, manifest 2"
    assert not backups_env.restore_dir.exists() or list(backups_env.restore_dir.iterdir()) == []
    assert drill.details["database"].startswith(("SQLite file ", "PostgreSQL database "))
    assert not _database_exists(drill.details["database"])  # the scratch database is gone
    [recorded] = evidence.restore_drills()
    assert recorded["result"] == "passed" and recorded["set_id"] == backed_up.set_id
    assert evidence.backup_runs()[0]["verify_ok"] is True


def test_backups_and_drills_are_evidence_for_the_period_they_fall_in(
    backed_up: BackupSet, backups_env: Backups
) -> None:
    drill = run_drill()
    assert drill is not None and drill.result == RestoreDrill.Result.PASSED
    today = timezone.localdate()

    provided = {p.provider: p for p in collect_evidence(today - dt.timedelta(days=7), today)}
    earlier = {p.provider: p for p in collect_evidence(today - dt.timedelta(days=30), today - dt.timedelta(days=8))}

    items = provided["backups.runs_and_drills"].items
    assert provided["backups.runs_and_drills"].error == ""
    assert [(i["kind"], i["status"], i["date"]) for i in items] == [
        ("backup", "pass", today.isoformat()),
        ("restore-drill", "pass", today.isoformat()),
    ]
    assert items[0]["title"] == f"Backup {backed_up.set_id} (ad hoc): complete, verified"
    assert items[0]["url"] == f"/backups/sets/{backed_up.set_id}/"
    assert items[1]["detail"]["set_id"] == backed_up.set_id
    json.dumps(items)  # plain data, as packs store it
    assert earlier["backups.runs_and_drills"].items == []


def test_a_failed_drill_is_evidence_that_needs_attention(backed_up: BackupSet, backups_env: Backups) -> None:
    _forge(backups_env, backed_up, lambda m: m["database"]["row_counts"].update(access_user=999))
    run_drill()
    today = timezone.localdate()

    [provided] = [p for p in collect_evidence(today, today) if p.provider == "backups.runs_and_drills"]

    assert [(i["kind"], i["status"]) for i in provided.items] == [("backup", "pass"), ("restore-drill", "attention")]


def _forge(backups_env: Backups, backup_set: BackupSet, change: Any) -> None:
    """A manifest changed and signed again with the instance's key (what only a key holder could do)."""
    path = backups_env.set_dir(backup_set.set_id) / "manifest.json"
    manifest = parse(path.read_bytes())
    change(manifest)
    path.write_bytes(encode(sign_manifest(manifest)))
    BackupSet.objects.filter(pk=backup_set.pk).update(manifest=json.loads(path.read_bytes()))


def test_a_drill_fails_when_the_restored_rows_differ_from_the_manifest(
    backed_up: BackupSet, backups_env: Backups, it_ivan: Any
) -> None:
    _forge(backups_env, backed_up, lambda m: m["database"]["row_counts"].update(access_user=999))
    drill = run_drill()
    assert drill is not None and drill.result == RestoreDrill.Result.FAILED
    checks = {c["name"]: c for c in drill.checks}
    assert checks["row counts"]["ok"] is False and "access_user" in checks["row counts"]["detail"]
    assert "(manifest 999)" in checks["row counts"]["detail"]
    assert [m.subject for m in mail.outbox] == [f"[Rampart backups] restore drill of {backed_up.set_id} failed"]


def test_a_drill_fails_when_the_trail_contradicts_the_signed_checkpoint(
    backed_up: BackupSet, backups_env: Backups
) -> None:
    def rewrite(manifest: dict[str, Any]) -> None:
        checkpoint = manifest["audit_checkpoint"]
        checkpoint["entry_hash"] = "0" * 64  # a checkpoint the trail never had: its signature no longer holds

    _forge(backups_env, backed_up, rewrite)
    drill = run_drill()
    assert drill is not None and drill.result == RestoreDrill.Result.FAILED
    audit = next(c for c in drill.checks if c["name"] == "audit trail")
    assert audit["ok"] is False and "REFUSED" in audit["detail"]


def test_a_drill_without_a_key_file_fails_clearly(backed_up: BackupSet, settings: Any) -> None:
    settings.RAMPART_DRILL_IDENTITY_FILE = ""
    with pytest.raises(CommandError, match="failed"):
        call_command("backup_drill", stdout=StringIO())
    drill = RestoreDrill.objects.get()
    assert drill.result == RestoreDrill.Result.FAILED
    assert drill.checks == [
        {
            "name": "identity",
            "ok": False,
            "detail": "no identity file: set RAMPART_DRILL_IDENTITY_FILE to a file holding a private key",
        }
    ]


def test_no_set_no_drill(db: Any) -> None:
    assert run_drill() is None
    assert RestoreDrill.objects.count() == 0


def test_the_identity_file_is_only_read(backed_up: BackupSet, backups_env: Backups) -> None:
    before = Path(backups_env.identity_file).read_bytes()
    run_drill()
    assert Path(backups_env.identity_file).read_bytes() == before
    assert backups_env.identity.secret_string() not in json.dumps(list(RestoreDrill.objects.values()), default=str)
