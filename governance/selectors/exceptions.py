"""Compliance exceptions as a user may see them, with the filters dashboards link to."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from access.models import User
from core.scopes import granted_rows
from governance.models import ComplianceException, Requirement

EXPIRING_DAYS = 30
Status = ComplianceException.Status


def requirement_label(requirement: Requirement | None) -> str:
    """``<framework key> <ref_id>``: how pages, forms and CSV name a requirement."""
    if requirement is None:
        return ""
    return f"{requirement.framework.key} {requirement.ref_id}"


def exceptions_visible_to(user: User) -> QuerySet[ComplianceException]:
    """All exceptions for holders of ``view_complianceexception``; those one requested or owns otherwise."""
    queryset = ComplianceException.objects.select_related(
        "requirement__framework", "control", "requested_by", "approver", "owner"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.has_perm("governance.view_complianceexception"):
        return queryset
    mine = Q(requested_by=user) | Q(owner=user)
    granted = granted_rows(user, ComplianceException)  # an auditor: the exceptions in scope
    return queryset.filter(mine if granted is None else mine | granted)


def exception_for(user: User, pk: int) -> ComplianceException:
    return exceptions_visible_to(user).get(pk=pk)


in_force = ComplianceException.in_force


def expiring_within(user: User, days: int = EXPIRING_DAYS) -> QuerySet[ComplianceException]:
    """Approved exceptions ending in the next ``days`` days, soonest first."""
    today = timezone.localdate()
    return exceptions_visible_to(user).filter(in_force(today), expires_on__lte=today + timedelta(days=days))


def expired(user: User) -> QuerySet[ComplianceException]:
    """Exceptions that ran out: marked EXPIRED, or approved and past their end date but not yet marked."""
    today = timezone.localdate()
    return exceptions_visible_to(user).filter(
        Q(status=Status.EXPIRED) | Q(status=Status.APPROVED, expires_on__lt=today)
    )


def expiry_condition(key: str) -> Q:
    """Exceptions that ran out (``expired``) or that end within ``key`` days (``30``, ``90``)."""
    today = timezone.localdate()
    if key == "expired":
        return Q(status=Status.EXPIRED) | Q(status=Status.APPROVED, expires_on__lt=today)
    return in_force(today) & Q(expires_on__lte=today + timedelta(days=int(key)))


def expiry_summary(user: User, *, days: int, limit: int) -> dict[str, Any]:
    """For dashboards: exceptions ending within ``days`` and those that ran out (the first ``limit`` of each)."""
    expiring_soon = expiring_within(user, days).select_related("requirement", "control")
    ran_out = expired(user).select_related("requirement", "control")
    return {
        "expiring": list(expiring_soon.order_by("expires_on", "pk")[:limit]),
        "expiring_count": expiring_soon.count(),
        "expired": list(ran_out.order_by("-expires_on", "pk")[:limit]),
        "expired_count": ran_out.count(),
    }
