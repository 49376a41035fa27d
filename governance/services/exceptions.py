"""Compliance exceptions: requested by one person, decided by another, and time-boxed.

- The requester is always the acting user. An exception covers a requirement, a
  control, or both, and expires on a date in the future at most a year ahead.
- The approver is never the requester (``SegregationOfDutiesError``), and only a
  requested exception is decided; rejecting needs a note saying why.
- ``expire_exceptions`` (a daily job) marks approved exceptions past their expiry date
  EXPIRED. Coverage counts only APPROVED exceptions that have not expired, so what
  they covered is open again from the day after ``expires_on``.
- On a control, the same exceptions in force excuse it from the overdue and failed-test
  flags (``governance.selectors.controls``); revoking or expiry brings the flags back.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import User
from core.errors import DomainError, SegregationOfDutiesError
from core.permissions import require_perm
from governance.models import ComplianceException, Control, Requirement
from governance.scoping import can

MAX_EXCEPTION_DAYS = 365
DECIDE = "governance.change_complianceexception"


def _check_expiry(expires_on: date | None) -> date:
    today = timezone.localdate()
    if expires_on is None:
        raise ValidationError({"expires_on": "Give the date the exception ends."})
    if expires_on <= today:
        raise ValidationError({"expires_on": "The exception must end in the future."})
    if expires_on > today + timedelta(days=MAX_EXCEPTION_DAYS):
        raise ValidationError({"expires_on": "An exception lasts at most a year; pick an earlier date."})
    return expires_on


def _check_scope(actor: User, requirement: Requirement | None, control: Control | None) -> None:
    if requirement is None and control is None:
        raise ValidationError({"requirement": "Say which requirement or control the exception covers."})
    if requirement is not None:
        if requirement.removed_at is not None:
            raise ValidationError({"requirement": "This requirement was removed from its framework."})
        if requirement.is_section:
            raise ValidationError({"requirement": "Pick a requirement, not a section heading."})
    if control is not None and not can(actor, control, "view"):
        raise ValidationError({"control": "You can request exceptions only for controls you can see."})


@transaction.atomic
def request_exception(
    *,
    actor: User,
    title: str,
    reason: str,
    expires_on: date | None,
    requirement: Requirement | None = None,
    control: Control | None = None,
    compensating_measures: str = "",
) -> ComplianceException:
    """Ask for a time-boxed exception; someone else decides it."""
    require_perm(actor, "governance.add_complianceexception")
    _check_scope(actor, requirement, control)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the exception is needed."})
    ends = _check_expiry(expires_on)
    exception = ComplianceException(
        title=title.strip(),
        reason=reason.strip(),
        compensating_measures=compensating_measures.strip(),
        requirement=requirement,
        control=control,
        requested_by=actor,
        owner=actor,
        expires_on=ends,
    )
    exception.full_clean()
    exception.save()
    return exception


@transaction.atomic
def decide_exception(
    *, actor: User, exception: ComplianceException, approve: bool, note: str = ""
) -> ComplianceException:
    """Approve or reject a requested exception. The requester never decides their own."""
    require_perm(actor, DECIDE)
    exception = ComplianceException.objects.select_for_update().get(pk=exception.pk)
    if exception.requested_by_id == actor.pk:
        raise SegregationOfDutiesError("You requested this exception; someone else must decide it.")
    if exception.status != ComplianceException.Status.REQUESTED:
        raise DomainError(f"Only a requested exception can be decided; this one is {exception.get_status_display()}.")
    if approve and exception.expires_on <= timezone.localdate():
        raise DomainError("Its end date has passed; ask for a new exception with a later date.")
    if not approve and not note.strip():
        raise ValidationError({"note": "Say why the exception is rejected."})
    exception.status = ComplianceException.Status.APPROVED if approve else ComplianceException.Status.REJECTED
    exception.approver = actor
    exception.decided_at = timezone.now()
    exception.decision_note = note.strip()
    exception.save(update_fields=["status", "approver", "decided_at", "decision_note", "updated_at"])
    return exception


@transaction.atomic
def revoke_exception(*, actor: User, exception: ComplianceException, note: str) -> ComplianceException:
    """End an approved exception early; what it covered counts again at once."""
    require_perm(actor, DECIDE)
    exception = ComplianceException.objects.select_for_update().get(pk=exception.pk)
    if exception.status != ComplianceException.Status.APPROVED:
        raise DomainError(f"Only an approved exception can be revoked; this one is {exception.get_status_display()}.")
    if not note.strip():
        raise ValidationError({"note": "Say why the exception is revoked."})
    exception.status = ComplianceException.Status.REVOKED
    exception.decision_note = note.strip()
    exception.save(update_fields=["status", "decision_note", "updated_at"])
    return exception


@transaction.atomic
def expire_exceptions(*, today: date | None = None) -> int:
    """Mark approved exceptions whose end date has passed EXPIRED; returns how many.

    A system action (the daily job): no permission check. One save per row so the
    audit trail records each change.
    """
    today = today or timezone.localdate()
    due = ComplianceException.objects.select_for_update().filter(
        status=ComplianceException.Status.APPROVED, expires_on__lt=today
    )
    count = 0
    for exception in due:
        exception.status = ComplianceException.Status.EXPIRED
        exception.save(update_fields=["status", "updated_at"])
        count += 1
    return count
