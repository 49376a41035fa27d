"""Backup plans: what, when, where, to whom (IT administrators manage them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from access.models import User
from backups.models import BackupPlan, BackupRecipient
from core.permissions import require_perm

PLAN_FIELDS = (
    "name",
    "what",
    "cron",
    "destination",
    "compression",
    "keep_daily",
    "keep_weekly",
    "keep_monthly",
    "active",
)


def _apply(plan: BackupPlan, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.name = plan.name.strip()
    plan.cron = " ".join(plan.cron.split())
    plan.destination = plan.destination.strip()


@transaction.atomic
def create_plan(*, actor: User | None, recipients: Iterable[BackupRecipient] = (), **fields: Any) -> BackupPlan:
    """A new plan; its cron expression and destination are validated (``ValidationError`` names the field)."""
    if actor is not None:
        require_perm(actor, "backups.add_backupplan")
    plan = BackupPlan()
    _apply(plan, fields)
    plan.full_clean()
    plan.save()
    plan.recipients.set(list(recipients))
    return plan


@transaction.atomic
def update_plan(
    *, actor: User | None, plan: BackupPlan, recipients: Iterable[BackupRecipient] | None = None, **fields: Any
) -> BackupPlan:
    """Change a plan; a new schedule counts from now (the scheduler re-reads plans every minute)."""
    if actor is not None:
        require_perm(actor, "backups.change_backupplan")
    _apply(plan, fields)
    plan.full_clean()
    plan.save()
    if recipients is not None:
        plan.recipients.set(list(recipients))
    return plan


@transaction.atomic
def delete_plan(*, actor: User | None, plan: BackupPlan) -> None:
    """Delete a plan; its sets stay (in the destination and in the history, with the plan's name)."""
    if actor is not None:
        require_perm(actor, "backups.delete_backupplan")
    plan.delete()
