"""``kill -9`` of a backup at any moment never leaves a set that looks complete.

A real ``manage.py backup_now`` runs in its own process against a SQLite file; it is killed with
SIGKILL at several points (while the database is snapshotted, while the archive is encrypted,
after each file). Afterwards a set either has no manifest, and every file under its final name
decrypts completely (only hidden temporary files may be partial), or it has one and verifies
fully. The next backup records the killed one as failed and succeeds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from backups.age import load_identities
from tests.backups.agetools import AGE, needs_age
from tests.backups.conftest import Sandbox

pytestmark = [pytest.mark.slow, needs_age]

MIB = 1024 * 1024


def _stored_files(sandbox: Sandbox, count: int = 4, size: int = 24 * MIB) -> None:
    folder = sandbox.var / "files" / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (folder / f"scan-{index}.bin").write_bytes(os.urandom(size))


def _kill_after(sandbox: Sandbox, lines_before_kill: int, extra_delay: float) -> tuple[str, list[str]]:
    """Start a backup, read ``lines_before_kill`` lines of its output, wait ``extra_delay``, SIGKILL it."""
    process = sandbox.popen("backup_now")
    assert process.stdout is not None
    lines: list[str] = []
    try:
        while len(lines) < lines_before_kill:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        time.sleep(extra_delay)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert lines and lines[0].startswith("set "), (lines, process.stderr.read() if process.stderr else "")
    return lines[0].removeprefix("set "), lines[1:]


def _decrypts_completely(sandbox: Sandbox, path: Path) -> bool:
    done = subprocess.run(
        [AGE, "-d", "-i", str(sandbox.identity_file), "-o", os.devnull, str(path)], capture_output=True, timeout=120
    )
    return done.returncode == 0


def _assert_never_looks_complete(sandbox: Sandbox, set_id: str) -> str:
    folder = sandbox.backup_dir / set_id
    if (folder / "manifest.json").exists():
        verified = sandbox.manage("backup_verify", str(folder), "--identity", str(sandbox.identity_file), check=False)
        assert verified.returncode == 0, verified.stdout
        return "complete"
    if folder.exists():
        for path in folder.iterdir():
            if not path.name.startswith("."):
                assert _decrypts_completely(sandbox, path), f"{path.name} is under its final name but incomplete"
    verified = sandbox.manage("backup_verify", str(folder), check=False)
    assert verified.returncode != 0
    return "incomplete"


@pytest.mark.parametrize(
    ("lines_before_kill", "extra_delay"),
    [
        (1, 0.0),  # the set id is printed: audit checkpoint, database snapshot
        (1, 0.4),
        (2, 0.0),  # the database file is written: the archive is being encrypted
        (2, 0.5),
        (2, 1.2),
        (3, 0.0),  # the archive is written: the manifest is next
    ],
)
def test_sigkill_mid_backup_never_leaves_a_set_that_looks_complete(
    sandbox: Sandbox, lines_before_kill: int, extra_delay: float
) -> None:
    _stored_files(sandbox)
    set_id, _ = _kill_after(sandbox, lines_before_kill, extra_delay)
    outcome = _assert_never_looks_complete(sandbox, set_id)

    time.sleep(3.5)  # the killed process's lease (3 s in the sandbox) runs out
    done = sandbox.manage("backup_now")
    new_set = done.stdout.splitlines()[0].removeprefix("set ")
    assert (sandbox.backup_dir / new_set / "manifest.json").exists()
    statuses = dict(sandbox.rows("SELECT set_id, status FROM backups_backupset"))
    assert statuses[new_set] == "complete"
    assert statuses[set_id] == ("complete" if outcome == "complete" else "failed")
    assert sandbox.manage("backup_verify", "--identity", str(sandbox.identity_file)).returncode == 0
    assert load_identities(sandbox.identity_file)  # the key file was only read
