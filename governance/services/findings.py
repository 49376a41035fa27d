"""Findings: something found wrong (a failed test, an audit observation) and its remediation.

A finding is raised (OPEN), worked on (IN_REMEDIATION), then closed; closing is its
own action so the time is recorded, and a closed finding can be reopened.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import User
from core.errors import DomainError
from core.permissions import require_perm
from governance.models import Control, ControlTest, Finding, Requirement, Risk

CHANGE_FINDING = "governance.change_finding"
WORKING_STATES = (Finding.Status.OPEN, Finding.Status.IN_REMEDIATION)


@dataclass
class FindingData:
    title: str
    description: str = ""
    severity: str = Finding.Severity.MEDIUM
    status: str = Finding.Status.OPEN
    control: Control | None = None
    control_test: ControlTest | None = None
    requirement: Requirement | None = None
    risk: Risk | None = None
    owner: Any = None
    due_date: date | None = None

    @classmethod
    def from_finding(cls, finding: Finding) -> FindingData:
        return cls(**{f.name: getattr(finding, f.name) for f in fields(cls)})

    def updated(self, **changes: Any) -> FindingData:
        return replace(self, **changes)


def _apply(finding: Finding, data: FindingData) -> None:
    if data.status not in WORKING_STATES:
        raise ValidationError({"status": "A finding is open or in remediation; close it with the Close action."})
    if data.owner is not None and not data.owner.is_active:
        raise ValidationError({"owner": "This user is deactivated; choose an active user as the owner."})
    if data.control_test is not None and data.control is not None and data.control_test.control_id != data.control.pk:
        raise ValidationError({"control_test": "This test belongs to another control."})
    for f in fields(FindingData):
        setattr(finding, f.name, getattr(data, f.name))
    finding.title = data.title.strip()
    if finding.control_test is not None and finding.control is None:
        finding.control = finding.control_test.control


@transaction.atomic
def create_finding(*, actor: User, data: FindingData) -> Finding:
    require_perm(actor, "governance.add_finding")
    finding = Finding(raised_by=actor)
    _apply(finding, data)
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def update_finding(*, actor: User, finding: Finding, data: FindingData) -> Finding:
    require_perm(actor, CHANGE_FINDING)
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if finding.status == Finding.Status.CLOSED:
        raise DomainError("This finding is closed; reopen it before changing it.")
    _apply(finding, data)
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def close_finding(*, actor: User, finding: Finding) -> Finding:
    require_perm(actor, CHANGE_FINDING)
    if finding.status == Finding.Status.CLOSED:
        raise DomainError("This finding is already closed.")
    finding.status = Finding.Status.CLOSED
    finding.closed_at = timezone.now()
    finding.save(update_fields=["status", "closed_at", "updated_at"])
    return finding


@transaction.atomic
def reopen_finding(*, actor: User, finding: Finding) -> Finding:
    require_perm(actor, CHANGE_FINDING)
    if finding.status != Finding.Status.CLOSED:
        raise DomainError("Only a closed finding can be reopened.")
    finding.status = Finding.Status.OPEN
    finding.closed_at = None
    finding.save(update_fields=["status", "closed_at", "updated_at"])
    return finding
