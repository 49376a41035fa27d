"""Compliance pages: the Statement of Applicability of a framework and the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from access.models import User
from core.hooks import dashboard_panels
from core.listing import Column, csv_rows_response
from core.memo import counted_for
from governance.models import Control, Framework
from governance.selectors import controls as selectors
from governance.selectors import exceptions as exception_selectors
from governance.selectors import frameworks as framework_selectors
from governance.selectors import risks as risk_selectors


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require(request: HttpRequest, *perms: str) -> User:
    user = _user(request)
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied
    return user


def _today() -> date:
    return timezone.localdate()


# --- Statement of Applicability ---

SOA_PERMS = ("governance.view_requirement", "governance.view_control")


def _framework(request: HttpRequest, pk: int) -> Framework:
    user = _require(request, *SOA_PERMS)
    try:
        return framework_selectors.framework_for(user=user, pk=pk)
    except Framework.DoesNotExist as exc:
        raise Http404("No such framework.") from exc


def _soa_status(request: HttpRequest) -> str:
    """The ``status`` filter of the Statement of Applicability; an unknown value shows every row."""
    raw = request.GET.get("status", "")
    return raw if raw in dict(selectors.SOA_STATUSES) else ""


@login_required
def soa(request: HttpRequest, pk: int) -> HttpResponse:
    framework = _framework(request, pk)
    status = _soa_status(request)
    rows = list(selectors.statement_of_applicability(framework, status))
    counts = selectors.soa_counts(framework)
    context = {
        "framework": framework,
        "rows": rows,
        "applicable": counts["covered"] + counts["uncovered"],
        "covered": counts["covered"],
        "status": status,
        "status_label": dict(selectors.SOA_STATUSES).get(status, ""),
        "statuses": [(key, label, counts[key]) for key, label in selectors.SOA_STATUSES],
        "total": sum(counts.values()),
        "generated_at": timezone.now(),
    }
    return render(request, "governance/controls/soa.html", context)


def _mapped(row: Any) -> str:
    parts = []
    for c in row.mapped_controls:
        latest = c.get_latest_test_result_display() or "not tested"
        parts.append(f"{c.ref} ({c.get_status_display()}, {latest})")
    return "; ".join(parts)


SOA_COLUMNS = (
    Column("Reference", lambda r: r.ref_id),
    Column("Citation", lambda r: r.reference),
    Column("Section", lambda r: r.parent.title if r.parent else ""),
    Column("Title", lambda r: r.title),
    Column("Applicable", lambda r: "Yes" if r.applicable else "No"),
    Column("Justification", lambda r: r.justification),
    Column("Exception until", lambda r: r.excepted_until or ""),
    Column("Controls", _mapped),
    Column("Covered", lambda r: "Yes" if r.covered else "No"),
    Column("Status", selectors.soa_status),
)


@login_required
def soa_csv(request: HttpRequest, pk: int) -> HttpResponse:
    framework = _framework(request, pk)
    status = _soa_status(request)
    rows = selectors.statement_of_applicability(framework, status)
    suffix = f"-{status.replace('_', '-')}" if status else ""
    return csv_rows_response(SOA_COLUMNS, rows, f"soa-{framework.key}{suffix}.csv")


# --- dashboard ---

EXPIRY_WINDOW_DAYS = 30
TOP_RISKS = 10


def _dashboard_exceptions(user: User) -> dict[str, Any] | None:
    if not user.has_perm("governance.view_complianceexception"):
        return None
    return exception_selectors.expiry_summary(user, days=EXPIRY_WINDOW_DAYS, limit=TOP_RISKS)


def _dashboard_risks(user: User) -> dict[str, Any] | None:
    if not user.has_perm("governance.view_risk"):
        return None
    return {
        "top": risk_selectors.top_residual_risks(user, TOP_RISKS),
        "acceptances": risk_selectors.acceptance_counts(user),
        "expiring_days": risk_selectors.EXPIRING_DAYS,
    }


def _dashboard_figures(user: User) -> dict[str, Any]:
    figures = selectors.control_figures(user)
    return {
        "coverage": selectors.coverage_by_framework(user),
        "figures": figures,
        "statuses": [(value, label, figures.by_status[value]) for value, label in Control.Status.choices],
        "risks": _dashboard_risks(user),
        "exceptions": _dashboard_exceptions(user),
        "panels": dashboard_panels(user),  # other apps' panels (core.hooks): backups, policies, evidence
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _require(request, "governance.view_control")
    # Counted again once anything changed (core.memo); the page says when they were counted.
    counted = counted_for(user, "dashboard", lambda: _dashboard_figures(user))
    context = {
        **counted.value,
        "counted_at": counted.counted_at,
        "today": _today(),
        "window_days": EXPIRY_WINDOW_DAYS,
    }
    return render(request, "governance/dashboard.html", context)
