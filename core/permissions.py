"""The one place services ask whether a user may do something."""

from __future__ import annotations

from typing import Any

from core.errors import PermissionDeniedError
from core.users import UserLike


def require_perm(user: UserLike | None, perm: str, obj: Any = None) -> None:
    """Raise unless ``user`` holds ``perm`` (globally, or on ``obj`` via guardian)."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDeniedError("You must be signed in.")
    if user.has_perm(perm):
        return
    if obj is not None and user.has_perm(perm, obj):
        return
    raise PermissionDeniedError("You do not have permission to do that.")


# A role may hold object permissions on a kind of object only when it holds the model
# permission ``<app>.own_<model>`` (e.g. ``governance.own_control``). Object permissions
# are checked together with it on every request, so they follow the user's roles at once.
OWN_PREFIX = "own_"


def own_perm(model: Any) -> str:
    """The permission a role needs to hold object permissions on ``model`` (a class or an instance)."""
    meta = model._meta
    return f"{meta.app_label}.{OWN_PREFIX}{meta.model_name}"


def may_hold_object_perms(user: UserLike | None, model: Any) -> bool:
    """May ``user``'s roles hold (and use) object permissions on ``model``'s kind of object?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.has_perm(own_perm(model)))


def forget_cached_perms(user: UserLike) -> None:
    """Drop the permissions Django cached on ``user``, after their roles changed."""
    for name in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(name, None)
