"""Backup and restore round trips on the database under test (SQLite or PostgreSQL), the ``age`` tool
reading a set's files, and sets of another database vendor refused."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import zstandard
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backups import database as db
from backups.manifest import encode, parse, sign_manifest
from backups.models import BackupPlan, BackupSet
from backups.services.errors import BackupError
from backups.services.restore import RestoreReport, locate_set, restore_set
from backups.services.runs import run_backup
from tests.backups.agetools import AGE, needs_age
from tests.backups.conftest import Backups, live_rows, on_postgres, restored_rows

pytestmark = pytest.mark.django_db(transaction=True)

DB_FILE = "database.pgdump.zst.age" if connection.vendor == "postgresql" else "database.sqlite3.zst.age"


def _backup_now(*args: str) -> tuple[str, list[Path]]:
    out = StringIO()
    call_command("backup_now", *args, stdout=out, stderr=StringIO())
    first, *rest = out.getvalue().splitlines()
    assert first.startswith("set ")
    return first.removeprefix("set "), [Path(line) for line in rest]


def test_backup_now_prints_the_set_then_each_file_written(backups_env: Backups, recipient: Any) -> None:
    backups_env.stored_file("uploads/a.txt", b"a")
    set_id, files = _backup_now()
    assert [f.name for f in files] == [DB_FILE, "files.tar.zst.age", "manifest.json"]
    assert all(f.parent == backups_env.set_dir(set_id) and f.is_file() for f in files)
    backup_set = BackupSet.objects.get(set_id=set_id)
    assert backup_set.status == BackupSet.Status.COMPLETE
    assert backup_set.verify_ok is True
    assert backup_set.plan is None  # without PLAN: the database and the stored files, every active recipient
    assert backup_set.manifest["recipients"] == [recipient.public_key]


def test_restore_gives_back_the_data_of_the_moment_of_the_backup(
    backups_env: Backups, recipient: Any, personas: Any, restores: list[RestoreReport]
) -> None:
    upload = backups_env.stored_file("uploads/report.bin", bytes(range(256)) * 4000)
    evidence = backups_env.stored_file("2026/01/evidence.txt", "Prüfbericht\n".encode(), storage="evidence")
    BackupPlan.objects.create(name="Before", cron="0 1 * * *")
    entries = live_rows("audits_logentry", "sequence, entry_hash", "sequence")
    set_id, _ = _backup_now()
    users = live_rows("access_user", "id, email, full_name, password")
    BackupPlan.objects.create(name="After", cron="0 2 * * *")  # made after the backup: not in the restore
    upload.write_bytes(b"changed later")

    report = restore_set(located=locate_set(set_id), identities=[backups_env.identity])
    restores.append(report)

    assert report.database is not None and report.snapshot is not None
    assert report.database.vendor == connection.vendor
    assert report.snapshot.row_counts == report.manifest["database"]["row_counts"]
    assert sum(report.snapshot.row_counts.values()) > 100
    assert restored_rows(report.database, "access_user", "id, email, full_name, password") == users
    assert restored_rows(report.database, "backups_backupplan", "name", "name") == [("Before",)]
    restored_entries = restored_rows(report.database, "audits_logentry", "sequence, entry_hash", "sequence")
    assert len(restored_entries) >= len(entries) > 10  # everything before the backup, and what it wrote first
    assert restored_entries[-1][0] >= report.manifest["audit_checkpoint"]["sequence"]
    assert restored_entries == live_rows("audits_logentry", "sequence, entry_hash", "sequence")[: len(restored_entries)]
    migrations = restored_rows(report.database, "django_migrations", "app, name", "app, name")
    assert len(migrations) == sum(len(v) for v in report.manifest["database"]["migrations"].values())
    assert report.files_dir is not None
    assert (report.files_dir / "default/uploads/report.bin").read_bytes() == bytes(range(256)) * 4000
    assert (report.files_dir / "evidence/2026/01/evidence.txt").read_bytes() == evidence.read_bytes()


def test_restore_command_prints_the_scratch_database_and_folder(
    backups_env: Backups, recipient: Any, restores: list[RestoreReport]
) -> None:
    backups_env.stored_file("a.txt", b"a")
    set_id, _ = _backup_now()
    out = StringIO()
    call_command("restore", set_id, "--identity", str(backups_env.identity_file), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"restored set {set_id}"
    database_line = next(line for line in lines if line.startswith("database: "))
    files_line = next(line for line in lines if line.startswith("files: "))
    if on_postgres():
        name = database_line.split("PostgreSQL database ")[1].split(" on ")[0]
        target = db.DatabaseTarget(db.POSTGRESQL, {**connection.settings_dict, "NAME": name})
        restores.append(RestoreReport(set_id=set_id, database=target))
        assert name.startswith(f"{connection.settings_dict['NAME'][:24]}_restore_")
    else:
        path = Path(database_line.split("SQLite file ")[1].split(" (")[0])
        assert path.parent == backups_env.restore_dir and path.is_file()
        with sqlite3.connect(path) as restored:
            assert restored.execute("SELECT count(*) FROM backups_backuprecipient").fetchone() == (1,)
    folder = Path(files_line.split("files: ")[1].split(" (")[0])
    assert (folder / "default/a.txt").read_bytes() == b"a"


@needs_age
def test_the_age_tool_decrypts_every_file_of_a_set(backups_env: Backups, recipient: Any) -> None:
    backups_env.stored_file("uploads/x.txt", b"hello from a stored file")
    _, files = _backup_now()
    manifest = parse(files[-1].read_bytes())
    for path, entry in zip(files[:-1], manifest["files"], strict=True):
        done = subprocess.run(
            [AGE, "-d", "-i", str(backups_env.identity_file), str(path)], capture_output=True, check=True, timeout=120
        )
        assert len(done.stdout) == entry["plaintext_size"]
        content = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(done.stdout)).read()
        if entry["kind"] == "files":
            import tarfile

            with tarfile.open(fileobj=io.BytesIO(content)) as tar:
                assert tar.extractfile("default/uploads/x.txt").read() == b"hello from a stored file"  # type: ignore[union-attr]
        elif entry["format"] == "sqlite3":
            snapshot = backups_env.root / "snapshot.sqlite3"
            snapshot.write_bytes(content)
            assert db.inspect_sqlite(snapshot).row_counts == manifest["database"]["row_counts"]
        else:
            assert content.startswith(b"PGDMP")  # pg_dump's custom format


def _other(vendor: str) -> str:
    return db.SQLITE if vendor == db.POSTGRESQL else db.POSTGRESQL


def test_restoring_into_a_database_of_another_vendor_is_refused(backups_env: Backups, recipient: Any) -> None:
    set_id, _ = _backup_now()
    url = f"sqlite:///{backups_env.root / 'other.sqlite3'}" if on_postgres() else "postgres://postgres@127.0.0.1/x"
    with pytest.raises(CommandError) as refused:
        call_command(
            "restore", set_id, "--identity", str(backups_env.identity_file), "--target-database", url, stdout=StringIO()
        )
    here, there = db.vendor_name(connection.vendor), db.vendor_name(_other(connection.vendor))
    assert f"was made on {here}; it cannot be restored into {there}" in str(refused.value)
    assert not (backups_env.root / "other.sqlite3").exists()


def test_a_set_made_on_another_vendor_is_refused_here(backups_env: Backups, recipient: Any) -> None:
    """A genuine, signed set whose database is of the other vendor: refused with both vendors named."""
    set_id, files = _backup_now()
    manifest = parse(files[-1].read_bytes())
    manifest["database"]["vendor"] = _other(connection.vendor)
    files[-1].write_bytes(encode(sign_manifest(manifest)))
    BackupSet.objects.filter(set_id=set_id).update(manifest=json.loads(files[-1].read_bytes()))
    with pytest.raises(BackupError) as refused:
        restore_set(located=locate_set(set_id), identities=[backups_env.identity])
    assert f"was made on {db.vendor_name(_other(connection.vendor))}" in str(refused.value)
    assert f"into {db.vendor_name(connection.vendor)}" in str(refused.value)
    assert not backups_env.restore_dir.exists() or not any(backups_env.restore_dir.iterdir())


def test_restoring_over_the_live_database_needs_force(backups_env: Backups, recipient: Any) -> None:
    set_id, _ = _backup_now()
    live = db.live_target()
    if live.vendor == db.SQLITE and not Path(live.name).is_file():
        pytest.skip("the SQLite test database is in memory; tests/backups/test_live_restore.py covers SQLite")
    with pytest.raises(BackupError, match="add --force"):
        restore_set(located=locate_set(set_id), identities=[backups_env.identity], target_database=live.url())


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (SQLite: test_live_restore.py)")
def test_forced_restore_over_live_postgres_backs_up_first_then_restores(backups_env: Backups, recipient: Any) -> None:
    plan = BackupPlan.objects.create(name="Nightly", cron="0 1 * * *", what=BackupPlan.What.DATABASE)
    original = run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND)
    BackupPlan.objects.create(name="Made after the backup", cron="0 5 * * *")
    fresh: list[str] = []

    def backup_first(chosen: BackupPlan | None) -> str:
        assert chosen == plan
        made = run_backup(plan=chosen, actor=None, trigger=BackupSet.Trigger.BEFORE_RESTORE)
        fresh.append(made.set_id)
        return made.set_id

    report = restore_set(
        located=locate_set(original.set_id),
        identities=[backups_env.identity],
        target_database=db.live_target().url(),
        force=True,
        before_overwrite=backup_first,
    )
    connection.close()
    assert report.backup_before == fresh[0]
    assert (backups_env.set_dir(fresh[0]) / "manifest.json").is_file()  # the fresh backup is kept
    assert list(BackupPlan.objects.values_list("name", flat=True)) == ["Nightly"]
    assert BackupSet.objects.filter(set_id=fresh[0]).count() == 0  # the live data went back in time
