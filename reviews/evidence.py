"""Evidence for the access-review control: completed campaigns with their signed CSV and summary.

Registered as the ``reviews.campaigns`` provider of ``core.evidence``, which ``audits`` reads
(nothing else imports ``reviews``); each entry is a plain dict.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from core.evidence import register_evidence_provider
from reviews.models import ReviewCampaign, ReviewItem

CONTROL = "access-review"


def completed_campaigns(since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Every completed campaign (optionally within a period), newest first."""
    campaigns = ReviewCampaign.objects.filter(status=ReviewCampaign.Status.COMPLETED).select_related("started_by")
    if since is not None:
        campaigns = campaigns.filter(completed_at__gte=since)
    if until is not None:
        campaigns = campaigns.filter(completed_at__lt=until)
    counted = campaigns.annotate(
        lines=Count("items"),
        certified=Count("items", filter=Q(items__decision=ReviewItem.Decision.CERTIFIED)),
        revoked=Count("items", filter=Q(items__decision=ReviewItem.Decision.REVOKED)),
        changed=Count("items", filter=Q(items__decision=ReviewItem.Decision.CHANGED)),
    ).order_by("-completed_at", "-pk")
    return [
        {
            "control": CONTROL,
            "id": c.pk,
            "name": c.name,
            "started_by": c.started_by.email,
            "started_at": c.started_at.isoformat(),
            "due_on": c.due_on.isoformat(),
            "completed_at": c.completed_at.isoformat() if c.completed_at else None,
            "lines": c.lines,
            "certified": c.certified,
            "revoked": c.revoked,
            "changed": c.changed,
            "summary": f"{c.name}: {c.lines} lines reviewed; {c.certified} certified, {c.revoked} revoked, "
            f"{c.changed} changed.",
            "filename": f"access-review-{c.pk}.csv",
            "csv": c.evidence_csv,
            "signature": c.evidence_signature,
            "key_id": c.evidence_key_id,
        }
        for c in counted
    ]


def campaign_evidence(start: date, end: date) -> Iterable[dict[str, Any]]:
    """The provider: campaigns completed within ``[start, end]``, in ``core.evidence``'s item shape."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=zone)
    until = datetime.combine(end, time.max, tzinfo=zone)
    for item in completed_campaigns(since, until):
        yield {
            **item,
            "title": f"Access review: {item['name']}",
            "date": (item["completed_at"] or "")[:10],
            "kind": "access review",
            "status": "completed",
            "detail": item["summary"],
            "url": reverse("reviews:campaign_evidence", kwargs={"pk": item["id"]}),
        }


register_evidence_provider("reviews.campaigns", campaign_evidence)
