"""Retention by grandfather-father-son rules, decided from the signed manifests in the destination.

For each plan: keep the newest set of each of the last ``keep_daily`` days that have a set, of
the last ``keep_weekly`` ISO weeks and of the last ``keep_monthly`` months (UTC), and always
the newest verified set. Everything else of the plan goes. A set's plan and time come from its
manifest (whose signature must verify), never from folder names; a folder without a manifest is
an incomplete set, removed only when the history says its backup failed (or it is a day old and
unknown here). A dry run says what would go and why the rest stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from access.models import User
from backups.destinations import MANIFEST_NAME, Destination, DestinationError, open_destination
from backups.manifest import ManifestError, signature_problem
from backups.models import BackupPlan, BackupSet
from backups.services.errors import BackupError
from backups.services.verification import read_manifest
from core.permissions import require_perm

LEFTOVER_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Candidate:
    """A complete set of the plan, as its manifest says."""

    set_id: str
    started_at: datetime
    verified: bool


@dataclass
class Decision:
    keep: dict[str, list[str]] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)


def _rule(
    candidates: list[Candidate], count: int, bucket: Callable[[datetime], Any], label: str, decision: Decision
) -> None:
    kept, last = 0, None
    for candidate in candidates:  # newest first
        if kept >= count:
            return
        key = bucket(candidate.started_at)
        if key == last:
            continue
        last = key
        kept += 1
        decision.keep.setdefault(candidate.set_id, []).append(f"{label} {_label(key)}")


def _label(key: Any) -> str:
    if isinstance(key, date):
        return key.isoformat()
    if isinstance(key, tuple) and len(key) == 3:
        return f"{key[0]}-W{key[1]:02d}"
    return f"{key[0]}-{key[1]:02d}"


def decide(candidates: Iterable[Candidate], *, daily: int, weekly: int, monthly: int) -> Decision:
    """Which sets to keep (with the rules that keep each) and which to delete."""
    ordered = sorted(candidates, key=lambda c: (c.started_at, c.set_id), reverse=True)
    decision = Decision()
    _rule(ordered, daily, lambda t: t.date(), "daily", decision)
    _rule(ordered, weekly, lambda t: (*t.isocalendar()[:2], "w"), "weekly", decision)
    _rule(ordered, monthly, lambda t: (t.year, t.month), "monthly", decision)
    newest_verified = next((c for c in ordered if c.verified), None)
    if newest_verified is not None:
        decision.keep.setdefault(newest_verified.set_id, []).append("newest verified set")
    decision.delete = [c.set_id for c in ordered if c.set_id not in decision.keep]
    return decision


@dataclass
class RetentionReport:
    plan: BackupPlan
    decision: Decision
    candidates: list[Candidate]
    incomplete: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    dry_run: bool = True

    def lines(self) -> list[str]:
        verb = "would delete" if self.dry_run else "deleted"
        lines = [
            f"Plan {self.plan.name}: {len(self.candidates)} complete set(s); keep "
            f"{len(self.decision.keep)}, {verb} {len(self.decision.delete)}"
            + (f", {verb} {len(self.incomplete)} incomplete" if self.incomplete else "")
        ]
        for candidate in self.candidates:
            reasons = self.decision.keep.get(candidate.set_id)
            if reasons:
                lines.append(f"keep {candidate.set_id} ({', '.join(reasons)})")
            else:
                lines.append(f"{verb} {candidate.set_id}")
        lines += [f"{verb} {set_id} (incomplete: no manifest)" for set_id in self.incomplete]
        lines += [f"left alone {item}" for item in self.unreadable]
        return lines


def _candidate(destination: Destination, set_id: str, plan: BackupPlan, rows: dict[str, BackupSet]) -> Candidate | None:
    manifest = read_manifest(destination, set_id)
    problem = signature_problem(manifest)
    if problem:
        raise ManifestError(problem)
    owner = manifest.get("plan")
    if not isinstance(owner, dict) or owner.get("id") != plan.pk or manifest.get("set_id") != set_id:
        return None
    started = parse_datetime(str(manifest.get("started_at") or ""))
    if started is None:
        raise ManifestError("the manifest has no start time")
    row = rows.get(set_id)
    if row is not None and row.verify_ok is not None:
        verified = bool(row.verify_ok)
    else:  # not in this database's history (restored from an older backup?): signature and sizes
        verified = all(
            destination.size(set_id, str(f.get("name"))) == f.get("ciphertext_size") for f in manifest["files"]
        )
    return Candidate(set_id, started, verified)


def _incomplete(set_id: str, row: BackupSet | None, now: datetime) -> bool:
    """An incomplete folder that will never be completed."""
    if row is not None:
        return row.status in (BackupSet.Status.FAILED, BackupSet.Status.PRUNED)
    started = parse_datetime(
        f"{set_id[0:4]}-{set_id[4:6]}-{set_id[6:8]}T{set_id[9:11]}:{set_id[11:13]}:{set_id[13:15]}Z"
    )
    return started is not None and now - started > LEFTOVER_AGE


def plan_retention(*, plan: BackupPlan, dry_run: bool = True) -> RetentionReport:
    """What retention keeps and deletes for ``plan`` now (nothing is deleted)."""
    try:
        destination = open_destination(plan.destination)
    except DestinationError as exc:
        raise BackupError(str(exc)) from exc
    set_ids = destination.set_ids()
    rows = {row.set_id: row for row in BackupSet.objects.filter(set_id__in=set_ids)}
    candidates: list[Candidate] = []
    incomplete: list[str] = []
    unreadable: list[str] = []
    now = timezone.now()
    for set_id in set_ids:
        row = rows.get(set_id)
        if destination.size(set_id, MANIFEST_NAME) is None:
            if row is not None and row.plan_id == plan.pk and _incomplete(set_id, row, now):
                incomplete.append(set_id)
            continue
        try:
            candidate = _candidate(destination, set_id, plan, rows)
        except (ManifestError, DestinationError, OSError) as exc:
            unreadable.append(f"{set_id} ({exc})")
            continue
        if candidate is not None:
            candidates.append(candidate)
    decision = decide(candidates, daily=plan.keep_daily, weekly=plan.keep_weekly, monthly=plan.keep_monthly)
    candidates.sort(key=lambda c: (c.started_at, c.set_id), reverse=True)
    return RetentionReport(plan, decision, candidates, incomplete, unreadable, dry_run)


def apply_retention(*, plan: BackupPlan, actor: User | None, dry_run: bool = False) -> RetentionReport:
    """Delete what the rules do not keep (``dry_run``: only say what would go)."""
    if actor is not None:
        require_perm(actor, "backups.delete_backupset" if not dry_run else "backups.view_backupset")
    report = plan_retention(plan=plan, dry_run=dry_run)
    if dry_run:
        return report
    destination = open_destination(plan.destination)
    gone = [*report.decision.delete, *report.incomplete]
    for set_id in gone:
        destination.delete_set(set_id)
    now = timezone.now()
    for row in BackupSet.objects.filter(set_id__in=gone):  # saved one by one: the audit trail records each
        if row.set_id in report.decision.delete:
            row.status = BackupSet.Status.PRUNED
        row.pruned_at = now
        row.save(update_fields=["status", "pruned_at"])
    return report
