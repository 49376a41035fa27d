"""Findings as a user may see them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from governance.models import Finding
from governance.selectors.exceptions import requirement_label
from governance.selectors.pickers import PEOPLE
from workbench.listing import Column, Filter, ListSpec


def findings_visible_to(user: Any) -> QuerySet[Finding]:
    """All findings for holders of ``governance.view_finding``; nothing for others."""
    if user is None or not user.is_authenticated or not user.has_perm("governance.view_finding"):
        return Finding.objects.none()
    return Finding.objects.select_related("control", "requirement__framework", "risk", "owner", "raised_by")


def finding_for(user: Any, pk: int) -> Finding:
    return findings_visible_to(user).select_related("control_test").get(pk=pk)


FINDING_LIST = ListSpec(
    search_fields=("title", "description", "control__ref", "risk__ref"),
    filters=(
        Filter("status", "Status", "status", choices=Finding.Status.choices),
        Filter("severity", "Severity", "severity", choices=Finding.Severity.choices),
        Filter(
            "due",
            "Due",
            "due_date__lt",
            choices=(("overdue", "Overdue"),),
            convert=lambda _: timezone.localdate(),
        ),
        Filter("owner", "Owner", "owner_id", picker=PEOPLE, convert=int),
    ),
    sorts={"created": "created_at", "due": "due_date", "title": "title", "severity": "severity", "status": "status"},
    default_sort="-created",
    columns=(
        Column("Title", lambda f: f.title),
        Column("Severity", lambda f: f.get_severity_display()),
        Column("Status", lambda f: f.get_status_display()),
        Column("Control", lambda f: f.control.ref if f.control else ""),
        Column("Requirement", lambda f: requirement_label(f.requirement)),
        Column("Risk", lambda f: f.risk.ref if f.risk else ""),
        Column("Owner", lambda f: f.owner.email if f.owner else ""),
        Column("Raised by", lambda f: f.raised_by.email if f.raised_by else ""),
        Column("Due date", lambda f: f.due_date or ""),
        Column("Closed at", lambda f: f.closed_at or ""),
        Column("Description", lambda f: f.description),
    ),
)
