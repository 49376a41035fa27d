"""Compliance exceptions as a user may see them, with the filters dashboards link to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from governance.models import ComplianceException, Requirement
from governance.selectors.pickers import PEOPLE
from workbench.listing import Column, Filter, ListSpec

EXPIRING_DAYS = 30
Status = ComplianceException.Status


def requirement_label(requirement: Requirement | None) -> str:
    """``<framework key> <ref_id>``: how pages, forms and CSV name a requirement."""
    if requirement is None:
        return ""
    return f"{requirement.framework.key} {requirement.ref_id}"


def exceptions_visible_to(user: Any) -> QuerySet[ComplianceException]:
    """All exceptions for holders of ``view_complianceexception``; those one requested or owns otherwise."""
    queryset = ComplianceException.objects.select_related(
        "requirement__framework", "control", "requested_by", "approver", "owner"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.has_perm("governance.view_complianceexception"):
        return queryset
    return queryset.filter(Q(requested_by=user) | Q(owner=user))


def exception_for(user: Any, pk: int) -> ComplianceException:
    return exceptions_visible_to(user).get(pk=pk)


in_force = ComplianceException.in_force


def expiring_within(user: Any, days: int = EXPIRING_DAYS) -> QuerySet[ComplianceException]:
    """Approved exceptions ending in the next ``days`` days, soonest first."""
    today = timezone.localdate()
    return exceptions_visible_to(user).filter(in_force(today), expires_on__lte=today + timedelta(days=days))


def expired(user: Any) -> QuerySet[ComplianceException]:
    """Exceptions that ran out: marked EXPIRED, or approved and past their end date but not yet marked."""
    today = timezone.localdate()
    return exceptions_visible_to(user).filter(
        Q(status=Status.EXPIRED) | Q(status=Status.APPROVED, expires_on__lt=today)
    )


def _expiry(raw: str) -> Q:
    today = timezone.localdate()
    if raw == "expired":
        return Q(status=Status.EXPIRED) | Q(status=Status.APPROVED, expires_on__lt=today)
    days = int(raw)
    if not 0 < days <= 366:
        raise ValueError(raw)
    return in_force(today) & Q(expires_on__lte=today + timedelta(days=days))


def _expiry_subquery(raw: str) -> Any:
    return ComplianceException.objects.filter(_expiry(raw)).values("pk")


EXPIRY_CHOICES = (("30", "Ending within 30 days"), ("90", "Ending within 90 days"), ("expired", "Expired"))

EXCEPTION_LIST = ListSpec(
    search_fields=("title", "reason", "requirement__ref_id", "control__ref"),
    filters=(
        Filter("status", "Status", "status", choices=Status.choices),
        Filter("expiry", "Expiry", "pk__in", choices=EXPIRY_CHOICES, convert=_expiry_subquery),
        Filter("owner", "Owner", "owner_id", picker=PEOPLE, convert=int),
    ),
    sorts={"expires": "expires_on", "title": "title", "created": "created_at", "status": "status"},
    default_sort="expires",
    columns=(
        Column("Title", lambda e: e.title),
        Column("Status", lambda e: e.get_status_display()),
        Column("Requirement", lambda e: requirement_label(e.requirement)),
        Column("Control", lambda e: e.control.ref if e.control else ""),
        Column("Requested by", lambda e: e.requested_by.email),
        Column("Owner", lambda e: e.owner.email if e.owner else ""),
        Column("Approver", lambda e: e.approver.email if e.approver else ""),
        Column("Decided at", lambda e: e.decided_at or ""),
        Column("Expires on", lambda e: e.expires_on),
        Column("Reason", lambda e: e.reason),
        Column("Compensating measures", lambda e: e.compensating_measures),
        Column("Decision note", lambda e: e.decision_note),
    ),
)
