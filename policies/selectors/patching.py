"""Patch-check reads: what a user may see, with the joins each page needs.

Holders of ``policies.view_patchfinding`` / ``view_inventory`` / ``view_advisory`` see every row
of that kind (Administrators, Compliance officers, IT administrators); anyone else sees nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from access.models import User
from governance.models import Asset
from policies.models import Advisory, Inventory, PatchCheckRun, PatchFinding
from policies.models.patching import SEVERITY_RANK
from policies.services.patch_check import figures

VIEW_FINDINGS = "policies.view_patchfinding"
VIEW_INVENTORIES = "policies.view_inventory"
VIEW_ADVISORIES = "policies.view_advisory"

SEVERITY_ORDER = Case(
    *(When(severity=level, then=Value(rank)) for level, rank in SEVERITY_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def _may(user: Any, perm: str) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(perm))


def findings_visible_to(user: Any) -> QuerySet[PatchFinding]:
    if not _may(user, VIEW_FINDINGS):
        return PatchFinding.objects.none()
    return PatchFinding.objects.select_related("asset", "exception").annotate(severity_rank=SEVERITY_ORDER)


def finding_for(user: Any, pk: int) -> PatchFinding:
    return findings_visible_to(user).get(pk=pk)


def inventories_visible_to(user: Any) -> QuerySet[Inventory]:
    if not _may(user, VIEW_INVENTORIES):
        return Inventory.objects.none()
    return Inventory.objects.select_related("asset", "uploaded_by")


def inventory_for(user: Any, pk: int) -> Inventory:
    return inventories_visible_to(user).get(pk=pk)


def advisories_visible_to(user: Any) -> QuerySet[Advisory]:
    if not _may(user, VIEW_ADVISORIES):
        return Advisory.objects.none()
    return Advisory.objects.defer("affected")


def advisory_for(user: Any, pk: int) -> Advisory:
    if not _may(user, VIEW_ADVISORIES):
        raise Advisory.DoesNotExist
    return Advisory.objects.get(pk=pk)


def asset_for_status(user: Any, pk: int) -> Asset:
    if not (_may(user, VIEW_FINDINGS) and _may(user, VIEW_INVENTORIES)):
        raise Asset.DoesNotExist
    return Asset.objects.select_related("owner").get(pk=pk)


def current_inventories(asset: Asset) -> QuerySet[Inventory]:
    return asset.inventories.filter(is_current=True).select_related("uploaded_by").order_by("scope")


def live_findings_of(asset: Asset) -> QuerySet[PatchFinding]:
    """The asset's open and accepted findings, most urgent first."""
    return (
        PatchFinding.objects.filter(asset=asset, status__in=PatchFinding.LIVE)
        .select_related("exception")
        .annotate(severity_rank=SEVERITY_ORDER)
        .order_by("status", "due_date", "-severity_rank", "package", "pk")
    )


def asset_figures(asset: Asset, today: date | None = None) -> dict[str, Any]:
    return figures([asset.pk], today)


def overall_figures(today: date | None = None) -> dict[str, Any]:
    """Live, open, overdue findings and compliance over every active asset, and how many assets are late."""
    today = today or timezone.localdate()
    counts = figures(None, today)
    late = (
        PatchFinding.objects.filter(status=PatchFinding.Status.OPEN, due_date__lt=today, asset__is_active=True)
        .values("asset_id")
        .distinct()
        .count()
    )
    checked = Inventory.objects.filter(is_current=True, asset__is_active=True).values("asset_id").distinct().count()
    counts.update(assets_late=late, assets_checked=checked)
    return counts


def latest_run() -> PatchCheckRun | None:
    return PatchCheckRun.objects.filter(asset__isnull=True).select_related("actor").first()


def open_findings(asset_id: int | None = None) -> QuerySet[PatchFinding]:
    """Every open finding (of one asset), for ``patch_check --json`` and exports."""
    findings = PatchFinding.objects.filter(status=PatchFinding.Status.OPEN).select_related("asset")
    if asset_id is not None:
        findings = findings.filter(asset_id=asset_id)
    return findings.order_by("asset__name", "due_date", "package", "vulnerability_id", "pk")


def finding_as_dict(finding: PatchFinding, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    return {
        "asset": finding.asset.name,
        "ecosystem": finding.ecosystem,
        "package": finding.package,
        "installed_version": finding.installed_version,
        "advisory": finding.advisory,
        "advisories": list(finding.advisory_ids),
        "vulnerability": finding.vulnerability_id,
        "aliases": list(finding.aliases),
        "severity": finding.severity,
        "cvss_score": finding.cvss_score,
        "known_exploited": finding.known_exploited,
        "fixed_in": finding.fixed_in or None,
        "status": finding.status,
        "first_seen": finding.first_seen.isoformat(),
        "due_date": finding.due_date.isoformat(),
        "overdue": finding.status == PatchFinding.Status.OPEN and finding.due_date < today,
    }


def findings_by_severity(today: date | None = None) -> dict[str, int]:
    """Open findings of active assets per severity."""
    rows = (
        PatchFinding.objects.filter(status=PatchFinding.Status.OPEN, asset__is_active=True)
        .values("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["severity"]: row["n"] for row in rows}


def assets_with_late_findings(limit: int = 10, today: date | None = None) -> list[dict[str, Any]]:
    """The assets with the most overdue findings (for the findings page header and evidence)."""
    today = today or timezone.localdate()
    rows = (
        PatchFinding.objects.filter(status=PatchFinding.Status.OPEN, due_date__lt=today, asset__is_active=True)
        .values("asset_id", "asset__name")
        .annotate(overdue=Count("pk"))
        .order_by("-overdue", "asset__name")[:limit]
    )
    return [{"asset_id": r["asset_id"], "asset": r["asset__name"], "overdue": r["overdue"]} for r in rows]


def overdue_condition(today: date | None = None) -> Q:
    return Q(status=PatchFinding.Status.OPEN, due_date__lt=today or timezone.localdate())


def patch_dashboard_panel(user: User) -> dict[str, Any] | None:
    """The compliance dashboard's patch panel (``core.hooks``): overall figures, the latest full check,
    the assets with the most overdue findings; ``None`` for those who may not read findings."""
    if not user.is_active or not user.has_perm(VIEW_FINDINGS):
        return None
    today = timezone.localdate()
    return {
        "figures": overall_figures(today),
        "latest_run": latest_run(),
        "late_assets": assets_with_late_findings(limit=5, today=today),
    }
