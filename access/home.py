"""Read side of the home page: the accounts that need an administrator's attention.

Three lists, each a bounded query: people without a second factor (those whose role
requires one first), sign-ins paused by the lockout right now, and invitations nobody
has used yet (active accounts that never signed in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from access.models import TOTPDevice, User
from core.permissions import require_perm

VIEW_USERS = "access.view_user"
ATTENTION_LIMIT = 10


@dataclass(frozen=True)
class Lockout:
    """A name and address whose sign-ins are paused after too many failures."""

    username: str
    ip_address: str | None
    until: datetime


@dataclass(frozen=True)
class AccountsAttention:
    without_mfa: list[User]  # each with ``mfa_needed`` (its role requires a second factor)
    without_mfa_count: int
    locked: list[Lockout]
    pending: list[User]
    pending_count: int


def _lockout_cooloff() -> timedelta:
    return timedelta(minutes=float(settings.AXES_COOLOFF_TIME) * 60)


def current_lockouts(*, now: datetime | None = None, limit: int = ATTENTION_LIMIT) -> list[Lockout]:
    """Name/address pairs the lockout refuses now (as many failures as the limit, within the cool-off)."""
    now = now or timezone.now()
    cooloff = _lockout_cooloff()
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gt=now - cooloff
    ).order_by("-attempt_time")[:limit]
    return [Lockout(a.username or "", a.ip_address, a.attempt_time + cooloff) for a in attempts]


def accounts_attention(*, actor: User, limit: int = ATTENTION_LIMIT) -> AccountsAttention:
    """What an administrator should look at about accounts (five queries)."""
    require_perm(actor, VIEW_USERS)
    active = User.objects.filter(is_active=True)
    enrolled = Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True))
    needs = Q(is_superuser=True) | Q(groups__name__in=settings.MFA_REQUIRED_ROLES)
    needing_ids = User.objects.filter(needs).values("pk")
    needed = Case(When(pk__in=needing_ids, then=Value(1)), default=Value(0), output_field=IntegerField())
    without = active.exclude(enrolled).annotate(mfa_needed=needed).order_by("-mfa_needed", "email")
    pending = active.filter(last_login__isnull=True).order_by("-date_joined", "email")
    return AccountsAttention(
        without_mfa=list(without[:limit]),
        without_mfa_count=without.count(),
        locked=current_lockouts(limit=limit),
        pending=list(pending[:limit]),
        pending_count=pending.count(),
    )
