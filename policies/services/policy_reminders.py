"""Reminders to read and acknowledge published policies, by email (console backend by default).

Each person in the audience of a published policy who has not acknowledged its published version
gets one message listing every such policy of theirs, with the link to "Policies to read". The
policy remembers when it was last reminded (``Policy.last_reminded_at``): the daily job reminds at
most once every ``REMINDER_INTERVAL_DAYS`` per policy; an officer's button reminds at once.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from access.models import User
from core.permissions import require_perm
from policies.models import Policy, PolicyVersion
from policies.selectors.documents import not_acknowledged

REMIND = "policies.change_policy"
REMINDER_INTERVAL_DAYS = 7


@dataclass(frozen=True)
class Reminders:
    policies: int = 0
    recipients: int = 0

    def summary(self) -> str:
        if not self.recipients:
            return "Nobody to remind: everyone in the audience has acknowledged."
        return (
            f"Reminded {self.recipients} {'person' if self.recipients == 1 else 'people'} "
            f"about {self.policies} polic{'y' if self.policies == 1 else 'ies'}."
        )


def _link() -> str:
    """The "Policies to read" page; absolute with ``RAMPART_BASE_URL`` (setting or environment variable)."""
    base = getattr(settings, "RAMPART_BASE_URL", "") or os.environ.get("RAMPART_BASE_URL", "")
    return f"{base.rstrip('/')}{reverse('policies:to_read')}"


@transaction.atomic
def send_reminders(
    *, actor: User | None, policy: Policy | None = None, only_due: bool = False, max_recipients: int = 5000
) -> Reminders:
    """Mail everyone who has not acknowledged a published version addressed to them.

    ``policy``: that policy only (else every published policy). ``only_due``: skip policies reminded
    within ``REMINDER_INTERVAL_DAYS`` (the daily job). ``actor=None`` is the scheduler.
    """
    if actor is not None:
        require_perm(actor, REMIND, policy)
    now = timezone.now()
    versions = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).select_related("policy")
    if policy is not None:
        versions = versions.filter(policy=policy)
    if only_due:
        since = now - timedelta(days=REMINDER_INTERVAL_DAYS)
        versions = versions.filter(Q(policy__last_reminded_at__isnull=True) | Q(policy__last_reminded_at__lt=since))
    owed: dict[User, list[PolicyVersion]] = defaultdict(list)
    reminded: set[int] = set()
    for version in versions.order_by("policy__title"):
        for person in not_acknowledged(version).exclude(email="")[:max_recipients]:
            owed[person].append(version)
            reminded.add(version.policy_id)
    link = _link()
    for person, pending in sorted(owed.items(), key=lambda item: item[0].email):
        lines = "\n".join(f"- {v.policy.title} (version {v.number})" for v in pending)
        body = (
            f"Hello {person.full_name or person.email},\n\n"
            f"Please read and acknowledge {'this policy' if len(pending) == 1 else 'these policies'}:\n\n"
            f"{lines}\n\nOpen Policies to read in Rampart: {link}\n"
        )
        subject = f"[Rampart] {len(pending)} polic{'y' if len(pending) == 1 else 'ies'} to read and acknowledge"
        EmailMessage(subject=subject, body=body, to=[person.email]).send()
    for reminded_policy in Policy.objects.filter(pk__in=reminded):  # saved one by one: the audit trail sees each
        reminded_policy.last_reminded_at = now
        reminded_policy.save(update_fields=["last_reminded_at"])
    return Reminders(policies=len(reminded), recipients=len(owed))
