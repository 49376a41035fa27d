"""Restoring a set: into a scratch database and folder by default; over the live data only when forced,
and then only after a fresh backup of the same plan.

A set is checked first (signature, sizes, hashes) and every file is authenticated while it is
decrypted. A set made on another database vendor is refused: a SQLite snapshot cannot become a
PostgreSQL database, nor a ``pg_dump`` a SQLite file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from backups import database as db
from backups import filestore
from backups.age import AgeError, Identity
from backups.destinations import MANIFEST_NAME, Destination, DestinationError, LocalDestination, open_destination
from backups.models import BackupPlan, BackupSet
from backups.pipeline import open_plaintext
from backups.services.errors import BackupError
from backups.services.verification import verify_files


def restore_dir() -> Path:
    configured = getattr(settings, "RAMPART_RESTORE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "restore"


@dataclass
class LocatedSet:
    destination: Destination
    set_id: str
    backup_set: BackupSet | None


def locate_set(reference: str) -> LocatedSet:
    """A set by its id (from the history, else in the local backup folder) or by its folder's path."""
    reference = reference.strip().rstrip("/")
    row = BackupSet.objects.select_related("plan").filter(set_id=reference).first()
    if row is not None:
        try:
            return LocatedSet(open_destination(row.destination), row.set_id, row)
        except DestinationError as exc:
            raise BackupError(f"Set {reference}: {exc}") from exc
    path = Path(reference)
    if path.is_dir() and (path / MANIFEST_NAME).is_file():
        return LocatedSet(LocalDestination(path.resolve().parent), path.name, None)
    default = open_destination("")
    if "/" not in reference and reference in default.set_ids():
        return LocatedSet(default, reference, None)
    raise BackupError(f"No backup set {reference!r}: give a set id from the history or the path of a set's folder.")


@dataclass
class RestoreReport:
    set_id: str
    database: db.DatabaseTarget | None = None
    files_dir: Path | None = None
    snapshot: db.Snapshot | None = None
    files: filestore.ArchiveStats | None = None
    backup_before: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [f"restored set {self.set_id}"]
        if self.backup_before:
            lines.insert(0, f"backed up the live data first: set {self.backup_before}")
        if self.database is not None:
            rows = sum(self.snapshot.row_counts.values()) if self.snapshot else 0
            lines.append(f"database: {self.database.describe()} ({rows} rows)")
        if self.files is not None:
            where = str(self.files_dir) if self.files_dir is not None else "over the live stored files"
            lines.append(f"files: {where} ({self.files.members} files, {self.files.content_bytes} bytes)")
        return lines


def _entry(manifest: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((f for f in manifest["files"] if isinstance(f, dict) and f.get("kind") == kind), None)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def _database_target(manifest: dict[str, Any], url: str | None) -> db.DatabaseTarget:
    vendor = str((manifest.get("database") or {}).get("vendor") or "")
    target = db.parse_target(url) if url else db.live_target()
    if vendor != target.vendor:
        raise BackupError(
            f"Set {manifest['set_id']} was made on {db.vendor_name(vendor)}; it cannot be restored into "
            f"{db.vendor_name(target.vendor)} ({'the target' if url else 'this instance'}). Restore it into a "
            f"{db.vendor_name(vendor)} database with --target-database."
        )
    return target


def _check_plaintext(entry: dict[str, Any], stats: Any) -> None:
    if stats.plaintext_size != entry["plaintext_size"] or stats.plaintext_sha256 != entry["plaintext_sha256"]:
        raise BackupError(f"{entry['name']}: the decrypted content differs from the manifest.")


def _restore_database(
    located: LocatedSet,
    entry: dict[str, Any],
    target: db.DatabaseTarget | None,
    identities: Sequence[Identity],
    set_id: str,
) -> tuple[db.DatabaseTarget, db.Snapshot]:
    vendor = target.vendor if target is not None else db.live_target().vendor
    created: db.DatabaseTarget | None = None
    if target is None:  # a new scratch database of the live vendor
        if vendor == db.SQLITE:
            target = db.DatabaseTarget(db.SQLITE, {"NAME": str(restore_dir() / f"{set_id}-{_stamp()}.sqlite3")})
        else:
            target = created = db.create_postgres_database(db.scratch_postgres_name(set_id))
    try:
        with open_plaintext(located.destination, set_id, entry, identities) as plain:
            if vendor == db.SQLITE:
                if target.live:
                    db.restore_sqlite_live(plain.stream)
                else:
                    db.restore_sqlite_file(plain.stream, Path(target.name))
            else:
                if target.live:
                    connection.close()
                db.restore_postgres(plain.stream, target, clean=target.live)
            _check_plaintext(entry, plain.finish())
        if vendor == db.POSTGRESQL:
            snapshot = db.inspect_postgres(target)
        else:
            snapshot = db.inspect_live_sqlite() if target.live else db.inspect_sqlite(Path(target.name))
    except BaseException:
        if created is not None:
            db.drop_postgres_database(created)
        raise
    return target, snapshot


def _live_roots() -> dict[str, Path]:
    roots = {}
    for alias in filestore.backed_up_storages():
        root = filestore.storage_root(alias)
        if root is None:
            raise BackupError(f"The storage {alias} is not a local folder; restore its files into a folder instead.")
        roots[alias] = root.resolve()
    return roots


def _local_roots() -> list[Path]:
    roots = (filestore.storage_root(alias) for alias in filestore.backed_up_storages())
    return [root.resolve() for root in roots if root is not None]


def _restore_files(
    located: LocatedSet, entry: dict[str, Any], identities: Sequence[Identity], target_dir: Path | None
) -> filestore.ArchiveStats:
    """Into ``target_dir/<storage alias>/``, or (``None``) over the live storages: each restored
    beside its folder first, then swapped in (a fresh backup of the old folders was taken)."""
    stamp = _stamp()
    live = _live_roots() if target_dir is None else {}
    work = {alias: root.with_name(f".{root.name}.restoring-{stamp}") for alias, root in live.items()}

    def route(alias: str) -> Path | None:
        if target_dir is not None:
            return target_dir / alias
        return work.get(alias)

    try:
        with open_plaintext(located.destination, located.set_id, entry, identities) as plain:
            stats = filestore.extract_archive(plain.stream, route)  # type: ignore[arg-type]
            _check_plaintext(entry, plain.finish())
    except BaseException:
        for folder in work.values():
            shutil.rmtree(folder, ignore_errors=True)
        raise
    for alias, root in live.items():
        work[alias].mkdir(mode=0o700, exist_ok=True)  # a storage with no file in the set is emptied too
        old = root.with_name(f".{root.name}.before-restore-{stamp}")
        if root.exists():
            root.rename(old)
        work[alias].rename(root)
        shutil.rmtree(old, ignore_errors=True)
    return stats


def _check_targets(database: db.DatabaseTarget | None, files_dir: Path | None, has_files: bool, force: bool) -> None:
    exists = database is not None and database.vendor == db.SQLITE and Path(database.name).exists()
    if database is not None and not database.live and exists and not force:
        raise BackupError(f"{database.name} exists; choose a new file, or add --force to replace it.")
    if has_files and files_dir is not None:
        if files_dir.exists() and any(files_dir.iterdir()) and not force:
            raise BackupError(f"{files_dir} is not empty; choose a new folder, or add --force to restore into it.")
        if any(files_dir == root or root in files_dir.parents or files_dir in root.parents for root in _local_roots()):
            raise BackupError(
                f"{files_dir} overlaps the live stored files; to restore over them, name the live database "
                "with --target-database and add --force (without --target-dir)."
            )


def restore_set(
    *,
    located: LocatedSet,
    identities: Sequence[Identity],
    target_database: str | None = None,
    target_dir: str | None = None,
    force: bool = False,
    before_overwrite: Callable[[BackupPlan | None], str] | None = None,
) -> RestoreReport:
    """Restore ``located``; ``before_overwrite(plan)`` backs up the live data and returns the new set id.

    Without targets: a new scratch database and folder. Over the live database (``target_database``
    naming it) only with ``force``; the stored files then go over the live storages too, unless
    ``target_dir`` is given. Raises ``BackupError`` with the reason when the set does not verify,
    the vendors differ, a target holds data and ``force`` is not given, or a file does not decrypt.
    """
    check = verify_files(located.destination, located.set_id)
    if not check.ok or check.manifest is None:
        raise BackupError(f"Set {located.set_id} does not verify, nothing was restored: {'; '.join(check.problems)}")
    manifest = check.manifest
    report = RestoreReport(set_id=located.set_id, manifest=manifest)
    db_entry, files_entry = _entry(manifest, "database"), _entry(manifest, "files")
    database: db.DatabaseTarget | None = None  # without a target: a new scratch database
    if db_entry is not None:
        target = _database_target(manifest, target_database)  # refuses another vendor's set
        database = target if target_database else None
    live_db = database is not None and database.live
    files_dir: Path | None = Path(target_dir).resolve() if target_dir else None
    if files_dir is None and not (live_db and force):
        files_dir = restore_dir() / f"{located.set_id}-{_stamp()}-files"
    _check_targets(database, files_dir, files_entry is not None, force)
    if live_db:
        if not force:
            raise BackupError(
                "This would restore over the live data; add --force (a fresh backup of the live data is taken first)."
            )
        if before_overwrite is None:
            raise BackupError("Restoring over the live data needs a fresh backup first, and none can be taken here.")
        plan = located.backup_set.plan if located.backup_set is not None else None
        report.backup_before = before_overwrite(plan)
    try:
        if db_entry is not None:
            report.database, report.snapshot = _restore_database(
                located, db_entry, database, identities, located.set_id
            )
        if files_entry is not None:
            report.files = _restore_files(located, files_entry, identities, files_dir)
            report.files_dir = files_dir
    except (AgeError, db.DatabaseError, OSError) as exc:
        raise BackupError(f"Restore of set {located.set_id} failed: {exc}") from exc
    return report


def discard(report: RestoreReport) -> None:
    """Throw away a scratch restore (a drill's): its database and folder. Never the live data."""
    if report.database is not None and not report.database.live:
        if report.database.vendor == db.POSTGRESQL:
            db.drop_postgres_database(report.database)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{report.database.name}{suffix}").unlink(missing_ok=True)
    if report.files_dir is not None and report.files_dir not in _local_roots():
        shutil.rmtree(report.files_dir, ignore_errors=True)


def manifest_file(manifest: dict[str, Any]) -> Path:
    """The manifest in a private temporary file named ``manifest.json`` (for ``verify_audit_trail``)."""
    from backups.destinations import work_dir
    from backups.manifest import encode

    folder = Path(tempfile.mkdtemp(prefix="manifest-", dir=work_dir()))
    path = folder / MANIFEST_NAME
    path.write_bytes(encode(manifest))
    return path
