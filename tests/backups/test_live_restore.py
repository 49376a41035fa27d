"""Restoring over the live data of a SQLite Rampart: refused without ``--force``; with it, a fresh
backup first, then the database (through SQLite's backup API) and the stored files go back in time."""

from __future__ import annotations

import pytest

from backups.age import X25519Identity
from tests.backups.conftest import Sandbox

pytestmark = pytest.mark.slow


def test_forced_restore_over_the_live_sqlite_database_backs_up_first(sandbox: Sandbox) -> None:
    upload = sandbox.var / "files" / "uploads" / "policy.txt"
    upload.parent.mkdir(parents=True)
    upload.write_text("version 1")
    set_id = sandbox.manage("backup_now").stdout.splitlines()[0].removeprefix("set ")

    later_key = str(X25519Identity.generate().recipient)
    sandbox.manage("backup_recipient", "add", "added-later", later_key)
    upload.write_text("version 2")
    (sandbox.var / "files" / "made-later.txt").write_text("later")
    live = f"sqlite:///{sandbox.database}"

    refused = sandbox.manage(
        "restore", set_id, "--identity", str(sandbox.identity_file), "--target-database", live, check=False
    )
    assert refused.returncode == 1
    assert "This would restore over the live data; add --force" in refused.stderr
    assert "added-later" in sandbox.manage("backup_recipient", "list").stdout

    done = sandbox.manage(
        "restore", set_id, "--identity", str(sandbox.identity_file), "--target-database", live, "--force"
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("backed up the live data first: set ")
    fresh = lines[0].rsplit(" ", 1)[1]
    assert (sandbox.backup_dir / fresh / "manifest.json").is_file()
    assert lines[1] == f"restored set {set_id}"
    assert "added-later" not in sandbox.manage("backup_recipient", "list").stdout  # the database went back
    assert upload.read_text() == "version 1"  # and so did the stored files
    assert not (sandbox.var / "files" / "made-later.txt").exists()
    assert sandbox.manage("backup_verify", fresh, "--identity", str(sandbox.identity_file)).returncode == 0
    integrity = sandbox.rows("PRAGMA integrity_check")
    assert integrity == [("ok",)]
