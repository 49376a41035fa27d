"""The one place services ask whether a user may do something."""

from __future__ import annotations

from typing import Any

from access.errors import PermissionDeniedError


def require_perm(user: Any, perm: str, obj: Any = None) -> None:
    """Raise unless ``user`` holds ``perm`` (globally, or on ``obj`` via guardian)."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDeniedError("You must be signed in.")
    if user.has_perm(perm):
        return
    if obj is not None and user.has_perm(perm, obj):
        return
    raise PermissionDeniedError("You do not have permission to do that.")
