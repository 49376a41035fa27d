"""Backup runs and restore drills as evidence for the backup control.

- ``backup_runs()`` and ``restore_drills()``: plain JSON-ready dicts, newest first.
- The provider ``backups.runs_and_drills`` (``core.evidence``, read by the audits app, which
  this module never imports): one item per backup and per restore drill in a period, oldest
  first, so an engagement page and an evidence pack list them with the other apps' evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from backups.models import BackupSet, RestoreDrill
from core.evidence import register_evidence_provider


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def backup_runs(
    *, since: datetime | None = None, until: datetime | None = None, days: int = 90
) -> list[dict[str, Any]]:
    """Every backup started since ``since`` (default: the last ``days`` days), up to ``until``."""
    start = since or timezone.now() - timedelta(days=days)
    sets = BackupSet.objects.filter(started_at__gte=start)
    if until is not None:
        sets = sets.filter(started_at__lte=until)
    return [
        {
            "set_id": s.set_id,
            "plan": s.plan_name or None,
            "trigger": s.trigger,
            "status": s.status,
            "started_at": _iso(s.started_at),
            "finished_at": _iso(s.finished_at),
            "duration_seconds": s.duration_seconds,
            "ciphertext_bytes": s.ciphertext_bytes,
            "files": [{k: f.get(k) for k in ("name", "ciphertext_size", "ciphertext_sha256")} for f in s.files],
            "manifest_key_id": (s.manifest.get("signature") or {}).get("key_id") if s.manifest else None,
            "verified_at": _iso(s.verified_at),
            "verify_ok": s.verify_ok,
            "verify_full": s.verify_full,
            "error": s.error or None,
        }
        for s in sets.order_by("-started_at", "-pk")
    ]


def restore_drills(
    *, since: datetime | None = None, until: datetime | None = None, days: int = 365
) -> list[dict[str, Any]]:
    """Every restore drill since ``since`` (default: the last ``days`` days), up to ``until``."""
    start = since or timezone.now() - timedelta(days=days)
    drills = RestoreDrill.objects.filter(started_at__gte=start)
    if until is not None:
        drills = drills.filter(started_at__lte=until)
    return [
        {
            "set_id": d.set_id or None,
            "started_at": _iso(d.started_at),
            "finished_at": _iso(d.finished_at),
            "duration_seconds": d.duration_seconds,
            "result": d.result,
            "summary": d.summary,
            "checks": d.checks,
        }
        for d in drills.order_by("-started_at", "-pk")
    ]


# A set deleted later by the retention rules was still a good backup when it was made.
_GOOD_SETS = (BackupSet.Status.COMPLETE, BackupSet.Status.PRUNED)


def _day(moment: str | None) -> str:
    return timezone.localdate(datetime.fromisoformat(moment)).isoformat() if moment else ""


def runs_and_drills(start: date, end: date) -> Iterator[dict[str, Any]]:
    """``core.evidence`` provider: every backup and restore drill from ``start`` to ``end`` (dates, inclusive)."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone)
    until = timezone.make_aware(datetime.combine(end, time.max), zone)
    items = []
    for run in backup_runs(since=since, until=until):
        verified = "verified" if run["verify_ok"] else "not verified"
        items.append(
            {
                "title": f"Backup {run['set_id']} ({run['plan'] or 'ad hoc'}): {run['status']}, {verified}",
                "date": _day(run["started_at"]),
                "kind": "backup",
                "status": "pass" if run["status"] in _GOOD_SETS and run["verify_ok"] else "attention",
                "detail": run,
                "url": reverse("backups:set_detail", args=[run["set_id"]]),
                "sort": run["started_at"],
            }
        )
    for drill in restore_drills(since=since, until=until):
        items.append(
            {
                "title": f"Restore drill of {drill['set_id'] or 'no set'}: {drill['result']}",
                "date": _day(drill["started_at"]),
                "kind": "restore-drill",
                "status": "pass" if drill["result"] == RestoreDrill.Result.PASSED else "attention",
                "detail": drill,
                "url": reverse("backups:drill_list"),
                "sort": drill["started_at"],
            }
        )
    yield from sorted(items, key=lambda item: item.pop("sort") or "")


register_evidence_provider("backups.runs_and_drills", runs_and_drills)
