"""Which rows a user may see or change: global model permission, or object permission.

Roles with the model permission (e.g. Compliance officer: ``governance.view_control``)
see everything; others (e.g. a Control owner) see only the rows on which they,
or one of their groups, hold the object permission in guardian's direct
foreign-key tables. The filter is one SQL query with sub-selects, never a list of
ids built in Python.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from guardian.shortcuts import assign_perm, remove_perm
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

M = TypeVar("M", bound=Model)


def scoped(user: Any, queryset: QuerySet[M], action: str = "view") -> QuerySet[M]:
    """Rows of ``queryset`` on which ``user`` holds ``<app>.<action>_<model>``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    meta = queryset.model._meta
    codename = f"{action}_{meta.model_name}"
    if user.has_perm(f"{meta.app_label}.{codename}"):
        return queryset
    user_model: Any = get_user_obj_perms_model(queryset.model)  # type: ignore[arg-type]
    group_model: Any = get_group_obj_perms_model(queryset.model)  # type: ignore[arg-type]
    if not _has_direct_fk(user_model, queryset.model):
        # Only models with direct foreign-key permission tables are object-scoped.
        return queryset.none()
    by_user = user_model.objects.filter(
        user=user, permission__codename=codename, permission__content_type__app_label=meta.app_label
    ).values("content_object_id")
    by_group = group_model.objects.filter(
        group__user=user, permission__codename=codename, permission__content_type__app_label=meta.app_label
    ).values("content_object_id")
    return queryset.filter(Q(pk__in=by_user) | Q(pk__in=by_group))


def _has_direct_fk(perm_model: type[Model], model: type[Model]) -> bool:
    try:
        field = perm_model._meta.get_field("content_object")
    except FieldDoesNotExist:
        return False
    return getattr(field, "related_model", None) is model


def can(user: Any, obj: Model, action: str) -> bool:
    """Does ``user`` hold ``action`` on ``obj``, globally or on the object?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    meta = obj._meta
    perm = f"{meta.app_label}.{action}_{meta.model_name}"
    return bool(user.has_perm(perm) or user.has_perm(perm, obj))


OWNER_ACTIONS = ("view", "change")


@transaction.atomic
def hand_over_object_perms(*, obj: Model, previous: Any, new: Any) -> None:
    """Move the owner's object permissions (view, change) from ``previous`` to ``new``."""
    meta = obj._meta
    perms = [f"{meta.app_label}.{a}_{meta.model_name}" for a in OWNER_ACTIONS]
    if previous is not None and (new is None or previous.pk != new.pk):
        for perm in perms:
            remove_perm(perm, previous, obj)
    if new is not None:
        for perm in perms:
            assign_perm(perm, new, obj)
