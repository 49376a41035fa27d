"""Fixtures of the backup tests: private folders for everything a backup touches, a key pair, stored files.

Every test gets its own backup folder, work folder, restore folder and stored-files folders
(``default`` and ``evidence``) under ``tmp_path``; nothing is written under ``var/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from backups import database as db
from backups.age import X25519Identity
from backups.models import BackupRecipient
from backups.services.restore import RestoreReport, discard


@dataclass
class Backups:
    root: Path
    backup_dir: Path
    files_dir: Path
    evidence_dir: Path
    restore_dir: Path
    identity: X25519Identity
    identity_file: Path

    def stored_file(self, name: str, data: bytes, *, storage: str = "default") -> Path:
        base = self.files_dir if storage == "default" else self.evidence_dir
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def set_dir(self, set_id: str) -> Path:
        return self.backup_dir / set_id


@pytest.fixture
def backups_env(settings: Any, tmp_path: Path) -> Backups:
    """Folders and a key pair for one test (the recipient row is made by ``recipient``)."""
    files_dir, evidence_dir = tmp_path / "files", tmp_path / "evidence"
    files_dir.mkdir()
    evidence_dir.mkdir()
    settings.RAMPART_BACKUP_DIR = str(tmp_path / "backups")
    settings.RAMPART_BACKUP_WORK_DIR = str(tmp_path / "work")
    settings.RAMPART_RESTORE_DIR = str(tmp_path / "restore")
    storages = dict(settings.STORAGES)
    storages["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(files_dir)},
    }
    storages["evidence"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(evidence_dir)},
    }
    settings.STORAGES = storages
    identity = X25519Identity.generate()
    identity_file = tmp_path / "key.txt"
    identity_file.write_text(identity.identity_file())
    os.chmod(identity_file, 0o600)
    return Backups(
        tmp_path, tmp_path / "backups", files_dir, evidence_dir, tmp_path / "restore", identity, identity_file
    )


@pytest.fixture
def recipient(backups_env: Backups, db: Any) -> BackupRecipient:
    return BackupRecipient.objects.create(name="Test key", public_key=str(backups_env.identity.recipient))


@pytest.fixture
def restores() -> Iterator[list[RestoreReport]]:
    """Restores a test makes; their scratch databases (PostgreSQL ones included) are dropped afterwards."""
    made: list[RestoreReport] = []
    yield made
    for report in made:
        discard(report)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def restored_rows(target: db.DatabaseTarget, table: str, columns: str, order: str = "id") -> list[tuple[Any, ...]]:
    """Rows of a table of a restored database (SQLite file or PostgreSQL database), for content checks."""
    query = f"SELECT {columns} FROM {table} ORDER BY {order}"  # noqa: S608 - test-controlled names
    if target.vendor == db.SQLITE:
        import sqlite3

        conn = sqlite3.connect(target.name)
        try:
            return [tuple(row) for row in conn.execute(query).fetchall()]
        finally:
            conn.close()
    conn = db._pg_connect(target.params)
    try:
        return [tuple(row) for row in conn.execute(query).fetchall()]
    finally:
        conn.close()


def live_rows(table: str, columns: str, order: str = "id") -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} ORDER BY {order}")  # noqa: S608 - test-controlled names
        return [tuple(row) for row in cursor.fetchall()]


# --- A Rampart of its own, in other processes (SIGKILL mid-backup, restore over a live SQLite file) ---

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Sandbox:
    """A Rampart with a SQLite file database and its own var folder, driven through ``manage.py``."""

    var: Path
    env: dict[str, str]
    identity_file: Path

    @property
    def database(self) -> Path:
        return self.var / "rampart.sqlite3"

    @property
    def backup_dir(self) -> Path:
        return self.var / "backups"

    def manage(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        import sqlite3

        conn = sqlite3.connect(self.database)
        try:
            return [tuple(row) for row in conn.execute(query).fetchall()]
        finally:
            conn.close()


def _sandbox_env(var: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "RAMPART_"))}
    env.update(
        RAMPART_VAR_DIR=str(var),
        RAMPART_SQLITE_PATH=str(var / "rampart.sqlite3"),
        RAMPART_SECRET_KEY="backup-sandbox-secret-key-not-for-production-0123456789",
        RAMPART_DEBUG="1",
        RAMPART_SCHEDULER_LEASE_SECONDS="3",  # a killed backup's lease runs out quickly
        RAMPART_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


@pytest.fixture(scope="session")
def sandbox_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Migrated once per session: a SQLite file, a recipient, and its key file."""
    var = tmp_path_factory.mktemp("sandbox-template") / "var"
    var.mkdir()
    key = var.parent / "key.txt"
    identity = X25519Identity.generate()
    key.write_text(identity.identity_file())
    box = Sandbox(var, _sandbox_env(var), key)
    box.manage("migrate", "--no-input", "-v", "0", timeout=600)
    box.manage("backup_recipient", "add", "sandbox", str(identity.recipient))
    return var, key


@pytest.fixture
def sandbox(sandbox_template: tuple[Path, Path], tmp_path: Path) -> Sandbox:
    template, key = sandbox_template
    var = tmp_path / "var"
    shutil.copytree(template, var)
    (var / "files").mkdir(exist_ok=True)
    return Sandbox(var, _sandbox_env(var), key)
