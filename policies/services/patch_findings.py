"""Changes to patch findings a person makes, and the patch policy (SLA days).

- ``accept_finding``: an open finding is accepted under an approved compliance exception that is
  in force (approved by someone other than who asked for it, in governance, with its end date).
  Accepted findings are not overdue. When the exception ends (expired or revoked) the next check
  reopens the finding, with its original due date.
- ``update_patch_policy``: new SLA days; the due dates of every live finding move at once
  (first seen + the new days), with one UPDATE per (severity, known exploited, first seen).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import User
from core.errors import DomainError
from core.permissions import require_perm
from governance.models import ComplianceException
from policies.models import PatchFinding, PatchPolicy
from policies.patching.sla import due_date

ACCEPT_PERM = "policies.accept_patchfinding"
POLICY_PERM = "policies.change_patchpolicy"
MAX_SLA_DAYS = 3650


@transaction.atomic
def accept_finding(*, actor: User, finding: PatchFinding, exception: ComplianceException) -> PatchFinding:
    """Accept an open finding under ``exception`` (approved, in force)."""
    require_perm(actor, ACCEPT_PERM)
    finding = PatchFinding.objects.select_for_update().get(pk=finding.pk)
    if finding.status != PatchFinding.Status.OPEN:
        raise DomainError(f"Only an open finding can be accepted; this one is {finding.get_status_display()}.")
    today = timezone.localdate()
    in_force = ComplianceException.objects.filter(ComplianceException.in_force(today), pk=exception.pk).exists()
    if not in_force:
        raise ValidationError(
            {"exception": "Choose an approved exception that is still in force (approved by someone else, not ended)."}
        )
    finding.status = PatchFinding.Status.ACCEPTED
    finding.exception = exception
    finding.accepted_by = actor
    finding.accepted_at = timezone.now()
    finding.updated_at = finding.accepted_at
    finding.save(update_fields=["status", "exception", "accepted_by", "accepted_at", "updated_at"])
    return finding


@transaction.atomic
def update_patch_policy(*, actor: User, days: dict[str, int]) -> PatchPolicy:
    """Set the SLA days (``known_exploited_days``, ``critical_days`` ...) and move the live due dates."""
    require_perm(actor, POLICY_PERM)
    policy = PatchPolicy.current()
    policy = PatchPolicy.objects.select_for_update().get(pk=policy.pk)
    errors = {}
    for name, value in days.items():
        if name not in PatchPolicy.FIELDS:
            errors[name] = "Not a setting of the patch policy."
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SLA_DAYS:
            errors[name] = f"A whole number of days from 0 to {MAX_SLA_DAYS}."
        else:
            setattr(policy, name, value)
    if errors:
        raise ValidationError(errors)
    policy.updated_by = actor
    policy.updated_at = timezone.now()
    policy.save()
    reschedule_findings(policy)
    return policy


def reschedule_findings(policy: PatchPolicy) -> int:
    """Give every live finding the due date ``policy`` sets; returns how many rows were updated."""
    sla = policy.sla()
    live = PatchFinding.objects.filter(status__in=PatchFinding.LIVE)
    groups = live.values_list("severity", "known_exploited", "first_seen").distinct()
    changed = 0
    for severity, exploited, first_seen in groups:
        due = due_date(first_seen, severity, exploited, sla)
        changed += (
            live.filter(severity=severity, known_exploited=exploited, first_seen=first_seen)
            .exclude(due_date=due)
            .update(due_date=due, updated_at=timezone.now())
        )
    return changed
