"""The database part of a backup, and its restore, on SQLite and PostgreSQL, without stopping the app.

SQLite
    The online backup API copies the live database into a private snapshot file in one step,
    inside one read transaction: a consistent snapshot while the app goes on writing (WAL lets
    writers carry on). The snapshot is read for its row counts and migrations, encrypted, and
    deleted. A restore decrypts into the target file (a temporary name, then a rename); over
    the live database the backup API copies the restored file into it.
PostgreSQL
    A read-only REPEATABLE READ transaction exports its snapshot; the row counts and
    migrations are read in it, and ``pg_dump -Fc --snapshot`` dumps exactly that state into a
    pipe that goes straight into the encryptor, so no plaintext touches the disk. A restore
    feeds ``pg_restore --no-owner`` from the decryption stream.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

import dj_database_url
from django.db import connection

from backups.destinations import work_dir

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
VENDOR_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
COPY_BLOCK = 1024 * 1024
PG_NAME_LIMIT = 63


class DatabaseError(Exception):
    """A dump or restore that failed, with what the tool said."""


def vendor_name(vendor: str) -> str:
    return VENDOR_NAMES.get(vendor, vendor or "an unknown database")


@dataclass(frozen=True)
class DatabaseTarget:
    """A database to dump or restore into, as Django settings (ENGINE, NAME, USER ...)."""

    vendor: str
    params: dict[str, Any]
    live: bool = False

    @property
    def name(self) -> str:
        return str(self.params.get("NAME") or "")

    def describe(self) -> str:
        if self.vendor == SQLITE:
            return f"SQLite file {self.name}"
        host = self.params.get("HOST") or "local socket"
        port = f":{self.params['PORT']}" if self.params.get("PORT") else ""
        return f"PostgreSQL database {self.name} on {host}{port}"

    def url(self) -> str:
        """A ``DATABASE_URL`` for a Rampart process working on this database."""
        if self.vendor == SQLITE:
            return f"sqlite:///{Path(self.name).resolve()}"
        user = self.params.get("USER") or ""
        password = self.params.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = self.params.get("HOST") or ""
        port = f":{self.params['PORT']}" if self.params.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{self.name}"

    def process_env(self) -> dict[str, str]:
        """Environment variables that point a ``manage.py`` process at this database."""
        env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "RAMPART_SQLITE_PATH")}
        if self.vendor == SQLITE:
            env["RAMPART_SQLITE_PATH"] = str(Path(self.name).resolve())
        else:
            env["DATABASE_URL"] = self.url()
        return env

    def same_as(self, other: DatabaseTarget) -> bool:
        if self.vendor != other.vendor:
            return False
        if self.vendor == SQLITE:
            return _resolved(self.name) == _resolved(other.name)
        keys = ("NAME", "HOST", "PORT")
        return all(str(self.params.get(k) or "") == str(other.params.get(k) or "") for k in keys)


def _resolved(name: str) -> str:
    return name if name.startswith(("file:", ":memory:")) else str(Path(name).resolve())


def _vendor_of_engine(engine: str) -> str:
    if "sqlite" in engine:
        return SQLITE
    if "postgres" in engine:
        return POSTGRESQL
    return engine.rsplit(".", 1)[-1]


def live_target() -> DatabaseTarget:
    params = dict(connection.settings_dict)
    return DatabaseTarget(_vendor_of_engine(str(params["ENGINE"])), params, live=True)


def parse_target(url: str) -> DatabaseTarget:
    """A target from a URL (``sqlite:////abs/path.sqlite3``, ``postgres://user@host:5432/name``)."""
    try:
        params = dj_database_url.parse(url)
    except (ValueError, KeyError) as exc:
        raise DatabaseError(f"{url!r} is not a database URL (sqlite:////path/file.sqlite3 or postgres://...).") from exc
    target = DatabaseTarget(_vendor_of_engine(str(params.get("ENGINE", ""))), dict(params))
    if target.vendor not in VENDOR_NAMES:
        raise DatabaseError(f"{url!r}: Rampart restores only into SQLite or PostgreSQL.")
    if not target.name:
        raise DatabaseError(f"{url!r} names no database.")
    live = live_target()
    return DatabaseTarget(target.vendor, target.params, live=target.same_as(live))


@dataclass
class Snapshot:
    """What the manifest says about the database: applied migrations and row counts, as dumped."""

    migrations: dict[str, list[str]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)


def _migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for app, name in sorted(rows):
        found.setdefault(app, []).append(name)
    return found


# --- SQLite ---------------------------------------------------------------------------


def _sqlite_inspect(db: sqlite3.Connection) -> Snapshot:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts = {table: int(db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) for table in tables}  # noqa: S608 - names from sqlite_master
    migrations = (
        _migrations(db.execute("SELECT app, name FROM django_migrations").fetchall())
        if "django_migrations" in counts
        else {}
    )
    return Snapshot(migrations=migrations, row_counts=counts)


def _open_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


@contextlib.contextmanager
def sqlite_snapshot() -> Iterator[tuple[Path, Snapshot]]:
    """A consistent copy of the live SQLite database in a private file, deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="snapshot-", dir=work_dir()))
    path = folder / "snapshot.sqlite3"
    try:
        connection.ensure_connection()
        source = connection.connection
        target = sqlite3.connect(path)
        try:
            # A throwaway copy: no journal and no fsync (the encrypted file is what gets flushed).
            target.execute("PRAGMA journal_mode=OFF")
            target.execute("PRAGMA synchronous=OFF")
            source.backup(target)  # one step: a single read transaction, so one consistent state
        finally:
            target.close()
        path.chmod(0o600)
        reader = _open_readonly(path)
        try:
            snapshot = _sqlite_inspect(reader)
        finally:
            reader.close()
        yield path, snapshot
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_stream(source: IO[bytes], target: IO[bytes], on_bytes: Callable[[int], None] | None = None) -> int:
    total = 0
    while block := source.read(COPY_BLOCK):
        target.write(block)
        total += len(block)
        if on_bytes is not None:
            on_bytes(len(block))
    return total


def restore_sqlite_file(plaintext: IO[bytes], path: Path) -> None:
    """Write the snapshot to ``path`` (a temporary name, flushed, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temp.open("xb") as handle:
            copy_stream(plaintext, handle)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(0o600)
        for suffix in ("-wal", "-shm"):  # a stale log of an older database must not be replayed over it
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def restore_sqlite_live(plaintext: IO[bytes]) -> None:
    """Copy the snapshot into the live database through the backup API (writers wait meanwhile)."""
    folder = Path(tempfile.mkdtemp(prefix="restore-", dir=work_dir()))
    try:
        path = folder / "restored.sqlite3"
        restore_sqlite_file(plaintext, path)
        source = sqlite3.connect(path)
        try:
            connection.ensure_connection()
            source.backup(connection.connection)
        finally:
            source.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def inspect_sqlite(path: Path) -> Snapshot:
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _sqlite_inspect(reader)
    finally:
        reader.close()


def inspect_live_sqlite() -> Snapshot:
    connection.ensure_connection()
    return _sqlite_inspect(connection.connection)


def sqlite_integrity_problems(path: Path) -> list[str]:
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = [str(row[0]) for row in reader.execute("PRAGMA integrity_check")]
        problems = [] if result == ["ok"] else result
        broken = reader.execute("PRAGMA foreign_key_check").fetchall()
        problems += [f"row {row[1]} of {row[0]} points to a missing row of {row[2]}" for row in broken[:20]]
        return problems
    finally:
        reader.close()


# --- PostgreSQL -----------------------------------------------------------------------


def _pg_args(params: dict[str, Any]) -> list[str]:
    args = []
    if params.get("HOST"):
        args += ["-h", str(params["HOST"])]
    if params.get("PORT"):
        args += ["-p", str(params["PORT"])]
    if params.get("USER"):
        args += ["-U", str(params["USER"])]
    return args


def _pg_env(params: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    return env


def _pg_connect(params: dict[str, Any], dbname: str | None = None, *, autocommit: bool = False) -> Any:
    import psycopg

    return psycopg.connect(
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        dbname=dbname or params["NAME"],
        autocommit=autocommit,
    )


def _pg_inspect(conn: Any) -> Snapshot:
    from psycopg import sql

    with conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
            counts[table] = int(cursor.fetchone()[0])
        migrations: dict[str, list[str]] = {}
        if "django_migrations" in counts:
            cursor.execute("SELECT app, name FROM django_migrations")
            migrations = _migrations(cursor.fetchall())
    return Snapshot(migrations=migrations, row_counts=counts)


class _Drain(threading.Thread):
    """Reads a child's stderr so the child never blocks on a full pipe."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.stream, self.data = stream, b""

    def run(self) -> None:
        self.data = self.stream.read()

    def text(self) -> str:
        self.join(timeout=10)
        return self.data.decode(errors="replace").strip()[-4000:]


@dataclass
class PostgresDump:
    """A running ``pg_dump`` of one exported snapshot: read ``stdout``, then call ``finish``."""

    stdout: BinaryIO
    snapshot: Snapshot
    finish: Callable[[], None]


@contextlib.contextmanager
def postgres_dump() -> Iterator[PostgresDump]:
    """``pg_dump -Fc`` of the live database, consistent with the row counts read in its snapshot."""
    params = live_target().params
    holder = _pg_connect(params)
    process: subprocess.Popen[bytes] | None = None
    try:
        import psycopg

        holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        holder.read_only = True
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
        snapshot = _pg_inspect(holder)
        command = ["pg_dump", "-Fc", "-Z0", f"--snapshot={snapshot_id}", *_pg_args(params), "-d", params["NAME"]]
        process = subprocess.Popen(  # noqa: S603 - fixed program, arguments from settings
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_pg_env(params)
        )
        if process.stdout is None or process.stderr is None:  # pragma: no cover - both are pipes
            raise DatabaseError("pg_dump started without its pipes.")
        drain = _Drain(process.stderr)
        drain.start()
        running = process

        def finish() -> None:
            code = running.wait()
            if code != 0:
                raise DatabaseError(f"pg_dump failed (exit {code}): {drain.text()}")

        yield PostgresDump(stdout=process.stdout, snapshot=snapshot, finish=finish)  # type: ignore[arg-type]
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        with contextlib.suppress(Exception):
            holder.rollback()
        holder.close()


def restore_postgres(plaintext: IO[bytes], target: DatabaseTarget, *, clean: bool = False) -> None:
    """Feed a ``pg_dump -Fc`` stream to ``pg_restore`` into ``target`` (``clean``: replace what is there)."""
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *_pg_args(target.params)]
    if clean:
        command += ["--clean", "--if-exists", "--single-transaction"]
    command += ["-d", target.name]
    process = subprocess.Popen(  # noqa: S603 - fixed program, arguments from settings or the command line
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_pg_env(target.params)
    )
    if process.stdin is None or process.stderr is None:  # pragma: no cover - both are pipes
        raise DatabaseError("pg_restore started without its pipes.")
    drain = _Drain(process.stderr)
    drain.start()
    broken = False
    try:
        copy_stream(plaintext, process.stdin)
    except BrokenPipeError:
        broken = True  # pg_restore stopped reading: its exit code and message say why
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        code = process.wait()
    if code != 0 or broken:
        raise DatabaseError(f"pg_restore failed (exit {code}): {drain.text() or 'it stopped reading its input'}")


def scratch_postgres_name(set_id: str) -> str:
    live = re.sub(r"[^a-z0-9_]", "_", live_target().name.lower())[:24]
    stamp = datetime.now(UTC).strftime("%H%M%S")
    return f"{live}_restore_{set_id.lower().replace('-', '_')}_{stamp}"[:PG_NAME_LIMIT]


def create_postgres_database(name: str) -> DatabaseTarget:
    """A new empty database ``name`` on the live server."""
    from psycopg import sql

    params = live_target().params
    admin = _pg_connect(params, autocommit=True)
    try:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()
    return DatabaseTarget(POSTGRESQL, {**params, "NAME": name})


def drop_postgres_database(target: DatabaseTarget) -> None:
    from psycopg import sql

    if target.live or target.vendor != POSTGRESQL:
        raise DatabaseError("Refusing to drop the live database.")
    admin = _pg_connect(target.params, dbname="postgres", autocommit=True)
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name)))
    finally:
        admin.close()


def inspect_postgres(target: DatabaseTarget) -> Snapshot:
    conn = _pg_connect(target.params)
    try:
        return _pg_inspect(conn)
    finally:
        conn.close()


def postgres_integrity_problems(target: DatabaseTarget) -> list[str]:
    """Constraints left unvalidated (pg_restore validates every foreign key it creates)."""
    conn = _pg_connect(target.params)
    try:
        rows = conn.execute("SELECT conname FROM pg_constraint WHERE NOT convalidated").fetchall()
        return [f"constraint {row[0]} is not validated" for row in rows]
    finally:
        conn.close()
