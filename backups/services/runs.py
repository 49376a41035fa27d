"""Running a backup: one set of files, its signed manifest last, then verification and retention.

Only one backup of a plan runs at a time, whoever starts it (the scheduler, "Run now", the
command line, a restore with ``--force``): each run holds the plan's lease
(``backups.plan:<id>``, renewed while it runs), taken with the scheduler's compare-and-set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from access.models import User
from backups import filestore
from backups.age import Recipient
from backups.database import POSTGRESQL, SQLITE, live_target, postgres_dump, sqlite_snapshot, vendor_name
from backups.destinations import MANIFEST_NAME, Destination, DestinationError, open_destination
from backups.manifest import FORMAT, VERSION, encode, rampart_version, sign_manifest
from backups.models import BackupPlan, BackupRecipient, BackupSet, new_set_id
from backups.pipeline import CountingReader, Progress, WrittenFile, write_file
from backups.services.alerts import send_alert
from backups.services.errors import BackupBusyError, BackupError
from backups.services.recipients import active_recipients
from backups.services.verification import record_verification, verify_files
from core.hooks import manifest_extras
from core.permissions import require_perm
from jobs.leases import LeaseKeeper, acquire_lease, new_holder, release_lease
from jobs.models import JobLease

log = logging.getLogger(__name__)

RUN_PERM = "backups.run_backupplan"
LEASE_PREFIX = "backups.plan:"
AD_HOC = "adhoc"
INTERRUPTED = "The backup process stopped before the set was complete (killed or crashed); its files never count."
MIB = 1024 * 1024

ProgressReport = Callable[[str, int | None, int | None], None]


def lease_key(plan: BackupPlan | None) -> str:
    return f"{LEASE_PREFIX}{plan.pk if plan is not None else AD_HOC}"


@dataclass
class RunReporter:
    """What a caller hears while a backup runs: its set id, each file written, the progress."""

    on_set: Callable[[str], None] | None = None
    on_file: Callable[[str], None] | None = None
    on_progress: ProgressReport | None = None

    def set_started(self, set_id: str) -> None:
        if self.on_set is not None:
            self.on_set(set_id)

    def file_written(self, location: str) -> None:
        if self.on_file is not None:
            self.on_file(location)

    def phase(self, text: str, done: int | None = None, total: int | None = None) -> None:
        if self.on_progress is not None:
            self.on_progress(text, done, total)


def plan_recipients(plan: BackupPlan | None) -> list[BackupRecipient]:
    """The plan's active recipients, or every active recipient when it names none."""
    chosen = list(plan.recipients.filter(active=True)) if plan is not None else []
    if plan is not None and not chosen and plan.recipients.exists():
        raise BackupError(f"Every recipient of plan {plan.name} is inactive; choose an active one.")
    return chosen or list(active_recipients())


@dataclass
class _Context:
    set_id: str
    destination: Destination
    recipients: Sequence[Recipient]
    compress: bool
    reporter: RunReporter
    files: list[dict[str, Any]] = field(default_factory=list)


def _suffix(compress: bool) -> str:
    return ".zst.age" if compress else ".age"


def _written(ctx: _Context, written: WrittenFile) -> None:
    ctx.files.append(written.entry)
    ctx.reporter.file_written(written.location)


def _progress(ctx: _Context, label: str, total: int) -> Progress:
    total_mib = max(1, -(-total // MIB))
    ctx.reporter.phase(label, 0, total_mib)
    return Progress(lambda done: ctx.reporter.phase(label, min(done // MIB, total_mib), total_mib))


def _back_up_database(ctx: _Context) -> dict[str, Any]:
    vendor = live_target().vendor
    if vendor == SQLITE:
        with sqlite_snapshot() as (path, snapshot):
            progress = _progress(ctx, "Database (SQLite snapshot)", path.stat().st_size)
            with path.open("rb") as handle:
                written = write_file(
                    ctx.destination,
                    ctx.set_id,
                    f"database.sqlite3{_suffix(ctx.compress)}",
                    ctx.recipients,
                    compress=ctx.compress,
                    source=CountingReader(handle, progress),  # type: ignore[arg-type]
                    entry={"kind": "database", "format": "sqlite3"},
                )
        fmt = "sqlite3"
    elif vendor == POSTGRESQL:
        with postgres_dump() as dump:
            ctx.reporter.phase("Database (pg_dump)")
            written = write_file(
                ctx.destination,
                ctx.set_id,
                f"database.pgdump{_suffix(ctx.compress)}",
                ctx.recipients,
                compress=ctx.compress,
                source=dump.stdout,
                before_commit=dump.finish,
                entry={"kind": "database", "format": "pg_dump-custom"},
            )
            snapshot = dump.snapshot
        fmt = "pg_dump-custom"
    else:
        raise BackupError(f"Backups of {vendor_name(vendor)} databases are not supported (SQLite or PostgreSQL).")
    _written(ctx, written)
    return {"vendor": vendor, "format": fmt, "migrations": snapshot.migrations, "row_counts": snapshot.row_counts}


def _back_up_files(ctx: _Context) -> None:
    progress = _progress(ctx, "Stored files (tar)", filestore.total_size())
    entry: dict[str, Any] = {"kind": "files", "format": "tar"}

    def produce(sink: Any) -> None:
        stats = filestore.write_archive(sink, progress)
        entry.update(members=stats.members, content_size=stats.content_bytes)
        if stats.changed_while_read:
            entry["changed_while_read"] = stats.changed_while_read

    written = write_file(
        ctx.destination,
        ctx.set_id,
        f"files.tar{_suffix(ctx.compress)}",
        ctx.recipients,
        compress=ctx.compress,
        produce=produce,
        entry=entry,
    )
    _written(ctx, written)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _write_set(backup_set: BackupSet, plan: BackupPlan | None, ctx: _Context) -> dict[str, Any]:
    """Write every file, then the signed manifest; return the manifest."""
    ctx.reporter.phase("Signing an audit-trail checkpoint")
    extras = manifest_extras()  # before the snapshot: the restored trail reaches at least this far
    database = _back_up_database(ctx) if plan is None or plan.includes_database else None
    if plan is None or plan.includes_files:
        _back_up_files(ctx)
    ctx.reporter.phase("Writing the signed manifest")
    body: dict[str, Any] = {
        **extras,
        "format": FORMAT,
        "version": VERSION,
        "set_id": ctx.set_id,
        "plan": {"id": plan.pk, "name": plan.name} if plan is not None else None,
        "started_at": _iso(backup_set.started_at),
        "finished_at": _iso(timezone.now()),
        "rampart_version": rampart_version(),
        "compression": "zstd" if ctx.compress else "none",
        "recipients": sorted(str(r) for r in ctx.recipients),
        "files": ctx.files,
    }
    if database is not None:
        body["database"] = database
    manifest = sign_manifest(body)
    new = ctx.destination.new_file(ctx.set_id, MANIFEST_NAME)
    try:
        new.write(encode(manifest))
        location = new.commit()
    except BaseException:
        new.abort()
        raise
    ctx.reporter.file_written(location)
    return manifest


def _fail(backup_set: BackupSet, exc: BaseException) -> None:
    backup_set.status = BackupSet.Status.FAILED
    backup_set.finished_at = timezone.now()
    backup_set.error = str(exc)[:10_000] or exc.__class__.__name__
    backup_set.save(update_fields=["status", "finished_at", "error"])
    name = backup_set.plan_name or "the ad hoc backup"
    send_alert(
        f"backup of {name} failed",
        f"The backup {backup_set.set_id} of {name} failed at {backup_set.finished_at:%Y-%m-%d %H:%M} UTC:\n\n"
        f"{backup_set.error}\n\nNo complete set was written; the next scheduled run tries again.",
    )


def _after_backup(backup_set: BackupSet, plan: BackupPlan | None, ctx: _Context) -> None:
    ctx.reporter.phase("Verifying sizes, hashes and signature")
    report = verify_files(ctx.destination, ctx.set_id, recorded_manifest=backup_set.manifest)
    record_verification(backup_set, report)
    if not report.ok:
        send_alert(f"backup {ctx.set_id} does not verify", report.summary())
    # Not before a restore: the set about to be restored may be one this backup's retention would drop.
    if plan is not None and report.ok and backup_set.trigger != BackupSet.Trigger.BEFORE_RESTORE:
        from backups.services.retention import apply_retention

        try:
            apply_retention(plan=plan, actor=None)
        except Exception:  # retention failing must not undo a good backup; it runs again next time
            log.exception("Retention of plan %s failed.", plan.name)


def _settle_interrupted(backup_set: BackupSet) -> None:
    """A set left running by a process that died: complete if its manifest got written and it verifies, else failed."""
    try:
        report = verify_files(open_destination(backup_set.destination), backup_set.set_id)
    except DestinationError:
        report = None
    if report is None or report.manifest is None or not report.ok:
        _fail(backup_set, BackupError(INTERRUPTED))
        return
    manifest = report.manifest
    files = [f for f in manifest["files"] if isinstance(f, dict)]
    backup_set.status = BackupSet.Status.COMPLETE
    backup_set.finished_at = parse_datetime(str(manifest.get("finished_at") or "")) or timezone.now()
    backup_set.manifest = manifest
    backup_set.plaintext_bytes = sum(int(f.get("plaintext_size", 0)) for f in files)
    backup_set.ciphertext_bytes = sum(int(f.get("ciphertext_size", 0)) for f in files)
    backup_set.save(update_fields=["status", "finished_at", "manifest", "plaintext_bytes", "ciphertext_bytes"])
    record_verification(backup_set, report)


def _reap_own(plan: BackupPlan | None) -> None:
    """Sets of this plan still marked running while we hold its lease were left by a process that died."""
    stale = BackupSet.objects.filter(status=BackupSet.Status.RUNNING)
    stale = stale.filter(plan=plan) if plan is not None else stale.filter(plan__isnull=True)
    for backup_set in stale:
        _settle_interrupted(backup_set)


def _run(plan: BackupPlan | None, actor: User | None, trigger: str, reporter: RunReporter) -> BackupSet:
    recipients = [r.recipient() for r in plan_recipients(plan)]
    if not recipients:
        raise BackupError(
            "There is no active recipient: add one (Backups > Recipients, "
            "or manage.py backup_recipient add NAME age1...)."
        )
    try:
        destination = open_destination(plan.destination if plan is not None else "")
    except DestinationError as exc:
        raise BackupError(str(exc)) from exc
    _reap_own(plan)
    started = timezone.now()
    set_id = new_set_id(started)
    backup_set = BackupSet.objects.create(
        set_id=set_id,
        plan=plan,
        plan_name=plan.name if plan is not None else "",
        trigger=trigger,
        requested_by=actor,
        destination=destination.spec,
        location=destination.location(set_id),
        started_at=started,
    )
    reporter.set_started(set_id)
    compress = plan.compression if plan is not None else True
    ctx = _Context(set_id, destination, recipients, compress, reporter)
    try:
        manifest = _write_set(backup_set, plan, ctx)
    except Exception as exc:
        log.exception("Backup %s failed.", set_id)
        _fail(backup_set, exc)
        raise BackupError(f"Backup {set_id} failed: {exc}") from exc
    backup_set.status = BackupSet.Status.COMPLETE
    backup_set.finished_at = timezone.now()
    backup_set.manifest = manifest
    backup_set.plaintext_bytes = sum(int(f["plaintext_size"]) for f in ctx.files)
    backup_set.ciphertext_bytes = sum(int(f["ciphertext_size"]) for f in ctx.files)
    backup_set.save(update_fields=["status", "finished_at", "manifest", "plaintext_bytes", "ciphertext_bytes"])
    _after_backup(backup_set, plan, ctx)
    return backup_set


def run_backup(
    *, plan: BackupPlan | None, actor: User | None, trigger: str, reporter: RunReporter | None = None
) -> BackupSet:
    """Back up ``plan`` (``None``: the database and stored files to the local folder, every active recipient).

    Raises ``BackupBusyError`` when a backup of the same plan is running, ``BackupError`` when
    the backup failed (the set is then recorded failed and the IT administrators are mailed).
    """
    if actor is not None:
        require_perm(actor, RUN_PERM)
    key, holder = lease_key(plan), new_holder()
    if not acquire_lease(key, holder):
        name = plan.name if plan is not None else "the ad hoc backup"
        raise BackupBusyError(f"A backup of {name} is already running; it was not started twice.")
    keeper = LeaseKeeper(key, holder)
    keeper.start()
    try:
        return _run(plan, actor, trigger, reporter or RunReporter())
    finally:
        keeper.done.set()
        keeper.join()
        release_lease(key, holder)


def reap_interrupted_sets() -> int:
    """Mark failed the sets left running by a process that died (its plan's lease is free or ran out).

    Their partial files never look complete (no manifest); retention removes them.
    """
    now = timezone.now()
    held = set(
        JobLease.objects.filter(job_id__startswith=LEASE_PREFIX)
        .exclude(holder="")
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gte=now))
        .values_list("job_id", flat=True)
    )
    grace = now - timedelta(seconds=5)
    reaped = 0
    for backup_set in BackupSet.objects.filter(status=BackupSet.Status.RUNNING, started_at__lt=grace):
        if lease_key(backup_set.plan) in held:
            continue
        _settle_interrupted(backup_set)
        reaped += 1
    return reaped


RUN_PLAN_TASK = "backups.run_plan"


def queue_backup_now(*, actor: User, plan: BackupPlan) -> Any:
    """Queue "Run now" of ``plan`` for the scheduler as ``actor``; the returned run has a progress page."""
    from django.db import transaction

    from core.errors import DomainError
    from jobs.models import JobRun
    from jobs.services import queue_task

    require_perm(actor, RUN_PERM)
    with transaction.atomic():
        waiting = JobRun.objects.filter(
            job_id=RUN_PLAN_TASK, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING], params__plan=plan.pk
        ).first()
        if waiting is not None:
            raise DomainError(f"A backup of {plan.name} is already queued or running (run #{waiting.pk}).")
        return queue_task(actor=actor, task_id=RUN_PLAN_TASK, params={"plan": plan.pk})
