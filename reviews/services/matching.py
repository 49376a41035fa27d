"""Matching accounts of other systems to people, kept right when people change.

An import matches each account to the person with its email (case-insensitive). When a
person is created, changes email, or is deactivated or reactivated afterwards, ``access``
tells us through ``core.hooks.person_changed`` and the current accounts are matched again, so
orphans (no person) and leavers (a deactivated person) stay right without a new import.
Older snapshots are history and keep the match they had.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Lower

from access.models import User
from reviews.models import SystemAccount


def rematch_person(user: Any, created: bool = False) -> int:
    """Match the current accounts again for ``user``'s email; returns how many accounts changed."""
    email = (user.email or "").strip().lower()
    current = SystemAccount.objects.filter(is_current=True)
    owner_now = User.objects.annotate(lower_email=Lower("email")).filter(lower_email=OuterRef("email")).values("pk")
    # Accounts matched to this person under an address they no longer have: to whoever has it now, or nobody.
    changed = current.filter(user_id=user.pk).exclude(email=email).update(user=Subquery(owner_now[:1]))
    if email:
        changed += current.filter(email=email).exclude(user_id=user.pk).update(user_id=user.pk)
    return changed
