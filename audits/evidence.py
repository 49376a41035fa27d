"""Scheduler job runs as system evidence (``core.evidence`` provider ``jobs.runs``).

The scheduler app keeps its runs; this reads them (``audits`` may import every app) and
offers one item per job: how many runs in the period succeeded and failed, and the last one.
Found by ``core.evidence.evidence_providers`` like every app's ``evidence`` module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from core.evidence import register_evidence_provider
from core.jobs_registry import job_label
from jobs.models import JobRun


def job_run_evidence(start: date, end: date) -> Iterable[dict[str, Any]]:
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end, time.max, tzinfo=zone)
    rows = (
        JobRun.objects.filter(queued_at__gte=since, queued_at__lte=until)
        .values("job_id")
        .annotate(
            runs=Count("pk"),
            succeeded=Count("pk", filter=Q(status=JobRun.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status=JobRun.Status.FAILED)),
            last=Max("finished_at"),
        )
        .order_by("job_id")
    )
    for row in rows:
        last = row["last"]
        yield {
            "title": f"{job_label(row['job_id'])}: {row['succeeded']} of {row['runs']} runs succeeded",
            "date": (last or until).date().isoformat(),
            "kind": "scheduled job",
            "status": "failures" if row["failed"] else "ok",
            "detail": {
                "job_id": row["job_id"],
                "runs": row["runs"],
                "succeeded": row["succeeded"],
                "failed": row["failed"],
                "last_finished": last.isoformat() if last else None,
            },
        }


register_evidence_provider("jobs.runs", job_run_evidence)
