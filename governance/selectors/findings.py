"""Findings as a user may see them."""

from __future__ import annotations

from django.db.models import QuerySet

from access.models import User
from governance.models import Finding


def findings_visible_to(user: User) -> QuerySet[Finding]:
    """All findings for holders of ``governance.view_finding``; nothing for others."""
    if user is None or not user.is_authenticated or not user.has_perm("governance.view_finding"):
        return Finding.objects.none()
    return Finding.objects.select_related("control", "requirement__framework", "risk", "owner", "raised_by")


def finding_for(user: User, pk: int) -> Finding:
    return findings_visible_to(user).select_related("control_test").get(pk=pk)
