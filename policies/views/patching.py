"""Patch-check pages: findings, inventories (list, upload, one), an asset's patch status, advisories, the SLA.

Who may: ``policies.view_patchfinding`` / ``view_inventory`` / ``view_advisory`` read (Administrators,
Compliance officers, IT administrators); ``add_inventory`` uploads (Administrators, IT
administrators); ``accept_patchfinding`` accepts a finding under an exception; ``change_patchpolicy``
edits the SLA (Administrators, Compliance officers, IT administrators).

The overdue findings and the overall patch compliance are shown in the findings page's header
(the governance dashboard cannot import this app).
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.forms import add_service_errors
from core.listing import Column, ListSpec, build_list, csv_response
from governance.models import Asset
from policies.filters import AdvisoryFilterSet, InventoryFilterSet, PatchFindingFilterSet
from policies.models import Advisory, Inventory, PatchFinding, PatchPolicy
from policies.selectors import patching as selectors
from policies.services import patch_findings as finding_services
from policies.services.inventories import InventoryImportError, import_inventory
from policies.views.patch_forms import AcceptFindingForm, InventoryUploadForm, PatchPolicyForm

VIEW_FINDINGS = "policies.view_patchfinding"
VIEW_INVENTORIES = "policies.view_inventory"
VIEW_ADVISORIES = "policies.view_advisory"


FINDING_LIST = ListSpec(
    PatchFindingFilterSet,
    columns=(
        Column("Asset", lambda f: f.asset.name),
        Column("Ecosystem", lambda f: f.ecosystem),
        Column("Package", lambda f: f.package),
        Column("Installed version", lambda f: f.installed_version),
        Column("Fixed in", lambda f: f.fixed_in),
        Column("Vulnerability", lambda f: f.vulnerability_id),
        Column("Advisories", lambda f: " ".join(f.advisory_ids)),
        Column("Aliases", lambda f: " ".join(f.aliases)),
        Column("Severity", lambda f: f.severity),
        Column("CVSS", lambda f: "" if f.cvss_score is None else f.cvss_score),
        Column("Known exploited", lambda f: "yes" if f.known_exploited else "no"),
        Column("Status", lambda f: f.status),
        Column("First seen", lambda f: f.first_seen.isoformat()),
        Column("Due", lambda f: f.due_date.isoformat()),
        Column("Overdue", lambda f: "yes" if f.is_overdue else "no"),
        Column("Fixed at", lambda f: f.fixed_at.isoformat() if f.fixed_at else ""),
        Column("Fixed version", lambda f: f.fixed_version),
        Column("Exception", lambda f: f.exception.title if f.exception else ""),
    ),
)
INVENTORY_LIST = ListSpec(InventoryFilterSet)
ADVISORY_LIST = ListSpec(AdvisoryFilterSet)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@permission_required(VIEW_FINDINGS, raise_exception=True)
def finding_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(FINDING_LIST, selectors.findings_visible_to(user), request)
    context = {
        "listing": listing,
        "figures": selectors.overall_figures(),
        "late_assets": selectors.assets_with_late_findings(limit=5),
        "latest_run": selectors.latest_run(),
        "can_upload": user.has_perm("policies.add_inventory"),
    }
    return render(request, "policies/patches/finding_list.html", context)


@login_required
@permission_required(VIEW_FINDINGS, raise_exception=True)
def finding_export(request: HttpRequest) -> HttpResponse:
    return csv_response(FINDING_LIST, selectors.findings_visible_to(_user(request)), request, "patch-findings.csv")


def _finding(request: HttpRequest, pk: int) -> PatchFinding:
    try:
        return selectors.finding_for(_user(request), pk)
    except PatchFinding.DoesNotExist as exc:
        raise Http404("No such finding.") from exc


@login_required
@permission_required(VIEW_FINDINGS, raise_exception=True)
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    finding = _finding(request, pk)
    may_accept = user.has_perm("policies.accept_patchfinding") and finding.status == PatchFinding.Status.OPEN
    context = {
        "finding": finding,
        "accept_form": AcceptFindingForm() if may_accept else None,
        "advisories": Advisory.objects.filter(advisory_id__in=finding.advisory_ids).defer("affected"),
    }
    return render(request, "policies/patches/finding_detail.html", context)


@require_POST
@login_required
@permission_required("policies.accept_patchfinding", raise_exception=True)
def finding_accept(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    form = AcceptFindingForm(request.POST)
    if form.is_valid():
        try:
            finding_services.accept_finding(
                actor=_user(request), finding=finding, exception=form.cleaned_data["exception"]
            )
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{finding.vulnerability_id} in {finding.package} is accepted.")
            return redirect("policies:patch_finding_detail", pk=finding.pk)
    for errors in form.errors.values():
        messages.error(request, " ".join(str(error) for error in errors))
    return redirect("policies:patch_finding_detail", pk=finding.pk)


@login_required
@permission_required(VIEW_INVENTORIES, raise_exception=True)
def inventory_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(INVENTORY_LIST, selectors.inventories_visible_to(user), request)
    context = {"listing": listing, "can_upload": user.has_perm("policies.add_inventory")}
    return render(request, "policies/patches/inventory_list.html", context)


@login_required
@permission_required(VIEW_INVENTORIES, raise_exception=True)
def inventory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        inventory = selectors.inventory_for(_user(request), pk)
    except Inventory.DoesNotExist as exc:
        raise Http404("No such inventory.") from exc
    packages = inventory.packages.order_by("ecosystem", "name", "pk")[:500]
    context = {"inventory": inventory, "packages": packages, "shown": min(inventory.package_count, 500)}
    return render(request, "policies/patches/inventory_detail.html", context)


@login_required
@permission_required("policies.add_inventory", raise_exception=True)
def inventory_upload(request: HttpRequest) -> HttpResponse:
    initial = {}
    asset_id = request.GET.get("asset", "")
    if asset_id.isdigit():
        initial["asset"] = Asset.objects.filter(pk=int(asset_id)).values_list("name", flat=True).first() or ""
    form = InventoryUploadForm(
        request.POST if request.method == "POST" else None, request.FILES or None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_inventory(
                actor=_user(request),
                asset_name=form.cleaned_data["asset"],
                data=upload.read(),
                format_name=form.cleaned_data["format"] or None,
                release=form.cleaned_data["release"] or None,
                scope=form.cleaned_data["scope"],
                filename=upload.name or "",
                via=Inventory.Via.UPLOAD,
            )
        except InventoryImportError as exc:
            form.add_error("file", str(exc))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, result.summary())
            return redirect("policies:asset_patch_status", pk=result.inventory.asset_id)
    status = 400 if form.errors else 200
    return render(request, "policies/patches/inventory_upload.html", {"form": form}, status=status)


@login_required
@permission_required(VIEW_FINDINGS, raise_exception=True)
def asset_patch_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        asset = selectors.asset_for_status(user, pk)
    except Asset.DoesNotExist as exc:
        raise Http404("No such asset.") from exc
    context = {
        "asset": asset,
        "inventories": selectors.current_inventories(asset),
        "findings": selectors.live_findings_of(asset)[:500],
        "figures": selectors.asset_figures(asset),
        "can_upload": user.has_perm("policies.add_inventory"),
    }
    return render(request, "policies/patches/asset_status.html", context)


@login_required
@permission_required(VIEW_ADVISORIES, raise_exception=True)
def advisory_list(request: HttpRequest) -> HttpResponse:
    listing = build_list(ADVISORY_LIST, selectors.advisories_visible_to(_user(request)), request)
    return render(request, "policies/patches/advisory_list.html", {"listing": listing})


@login_required
@permission_required(VIEW_ADVISORIES, raise_exception=True)
def advisory_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        advisory = selectors.advisory_for(_user(request), pk)
    except Advisory.DoesNotExist as exc:
        raise Http404("No such advisory.") from exc
    return render(request, "policies/patches/advisory_detail.html", {"advisory": advisory})


@login_required
@permission_required("policies.change_patchpolicy", raise_exception=True)
def patch_policy(request: HttpRequest) -> HttpResponse:
    policy = PatchPolicy.current()
    form = PatchPolicyForm(
        request.POST if request.method == "POST" else None, initial=PatchPolicyForm.initial_from(policy)
    )
    if request.method == "POST" and form.is_valid():
        try:
            finding_services.update_patch_policy(actor=_user(request), days=dict(form.cleaned_data))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The patch policy is saved; the due dates of open findings follow it.")
            return redirect("policies:patch_policy")
    status = 400 if form.errors else 200
    return render(request, "policies/patches/patch_policy.html", {"form": form, "policy": policy}, status=status)
