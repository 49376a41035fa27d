"""Evidence for the patch-management control: the patch checks, and where patching stands.

- ``patch_evidence()``: the latest full check and today's figures, as plain JSON-ready data.
- The provider ``policies.patch_checks`` (``core.evidence``, read by the audits app, which this
  module never imports): one item per full check in a period, then today's summary.
- The provider ``policies.acknowledgements``: one item per policy version in force in a period, with
  every acknowledgement of it (who, when), its author and approver, and the rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any

from django.urls import reverse
from django.utils import timezone

from core.evidence import register_evidence_provider
from policies.models import PatchCheckRun, PatchPolicy, PolicyVersion
from policies.selectors import documents
from policies.selectors import patching as selectors


def patch_evidence(*, today: date | None = None, top_assets: int = 20) -> dict[str, Any]:
    """The latest full patch check (counts, when, how long), the SLA in force, and today's figures."""
    today = today or timezone.localdate()
    run = selectors.latest_run()
    policy = PatchPolicy.current()
    overall = selectors.overall_figures(today)
    return {
        "kind": "patch-management",
        "as_of": today.isoformat(),
        "latest_check": None
        if run is None
        else {
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "via": run.via,
            "assets_checked": run.assets_checked,
            "packages_checked": run.packages_checked,
            "advisories": run.advisories_indexed,
            "new_findings": run.new_findings,
            "fixed_findings": run.fixed_findings,
            "open_findings": run.open_findings,
            "overdue_findings": run.overdue_findings,
            "compliance_percent": run.compliance,
        },
        "sla_days": dict(policy.sla()),
        "now": {
            "assets_checked": overall["assets_checked"],
            "assets_with_overdue_findings": overall["assets_late"],
            "open_findings": overall["open"],
            "overdue_findings": overall["overdue"],
            "accepted_findings": overall["live"] - overall["open"],
            "compliance_percent": overall["compliance"],
            "open_by_severity": selectors.findings_by_severity(today),
        },
        "most_overdue_assets": selectors.assets_with_late_findings(limit=top_assets, today=today),
    }


def patch_check_items(start: date, end: date) -> Iterator[dict[str, Any]]:
    """``core.evidence`` provider: each full patch check from ``start`` to ``end``, then the current figures."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone)
    until = timezone.make_aware(datetime.combine(end, time.max), zone)
    runs = PatchCheckRun.objects.filter(asset__isnull=True, started_at__range=(since, until)).order_by("started_at")
    for run in runs.iterator():
        yield {
            "title": f"Patch check of {run.assets_checked} asset(s): {run.new_findings} new, "
            f"{run.fixed_findings} fixed, {run.overdue_findings} overdue",
            "date": timezone.localdate(run.started_at).isoformat(),
            "kind": "patch-check",
            "status": "pass" if run.overdue_findings == 0 else "attention",
            "detail": {**run.summary(), "compliance_percent": run.compliance, "via": run.via},
        }
    if start <= timezone.localdate() <= end:
        summary = patch_evidence()
        yield {
            "title": f"Patch compliance {summary['now']['compliance_percent']}%",
            "date": summary["as_of"],
            "kind": "patch-compliance",
            "status": "pass" if summary["now"]["overdue_findings"] == 0 else "attention",
            "detail": summary,
            "url": reverse("policies:patch_findings"),
        }


register_evidence_provider("policies.patch_checks", patch_check_items)


def policy_acknowledgement_items(start: date, end: date) -> Iterator[dict[str, Any]]:
    """``core.evidence`` provider: per policy version in force during the period, who acknowledged it and when.

    One item per version that was published at some time from ``start`` to ``end`` (published before the
    period's end and not retired before its start), with every acknowledgement up to the period's end.
    """
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone)
    until = timezone.make_aware(datetime.combine(end, time.max), zone)
    versions = (
        PolicyVersion.objects.filter(published_at__isnull=False, published_at__lte=until)
        .exclude(retired_at__lt=since)
        .select_related("policy", "author", "approver")
        .order_by("policy__title", "number")
    )
    for version in versions:
        acks = list(
            version.acknowledgements.filter(acknowledged_at__lte=until)
            .select_related("user")
            .order_by("acknowledged_at", "pk")
        )
        audience = documents.audience_members(version.policy_id).count()
        rate = documents.rate(len(acks), audience)
        yield {
            "title": f"{version.policy.title} version {version.number}: acknowledged by {len(acks)} of {audience}",
            "date": timezone.localdate(version.published_at).isoformat() if version.published_at else end.isoformat(),
            "kind": "policy-acknowledgements",
            "status": "pass" if audience and len(acks) >= audience else "attention",
            "detail": {
                "policy": version.policy.title,
                "version": version.number,
                "status": version.status,
                "author": version.author.email if version.author else None,
                "approver": version.approver.email if version.approver else None,
                "approved_at": version.approved_at.isoformat() if version.approved_at else None,
                "published_at": version.published_at.isoformat() if version.published_at else None,
                "retired_at": version.retired_at.isoformat() if version.retired_at else None,
                "audience_today": audience,
                "acknowledged_percent": rate,
                "acknowledgements": [
                    {"email": a.user.email, "name": a.user.full_name, "acknowledged_at": a.acknowledged_at.isoformat()}
                    for a in acks
                ],
            },
            "url": reverse("policies:version_detail", args=[version.policy_id, version.number]),
        }


register_evidence_provider("policies.acknowledgements", policy_acknowledgement_items)
