"""Which rows a user may see or change: global model permission, or object permission.

Roles with the model permission (e.g. Compliance officer: ``governance.view_control``)
see everything; others (e.g. a Control owner) see only the rows on which they,
or one of their groups, hold the object permission in guardian's direct
foreign-key tables. The filter is one SQL query with sub-selects, never a list of
ids built in Python.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from guardian.shortcuts import assign_perm, remove_perm
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

from access.models import User
from core.permissions import may_hold_object_perms, own_perm
from core.scopes import granted_rows

M = TypeVar("M", bound=Model)


def scoped(user: User, queryset: QuerySet[M], action: str = "view") -> QuerySet[M]:
    """Rows of ``queryset`` on which ``user`` holds ``<app>.<action>_<model>``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    meta = queryset.model._meta
    codename = f"{action}_{meta.model_name}"
    if user.has_perm(f"{meta.app_label}.{codename}"):
        return queryset
    granted = granted_rows(user, queryset.model) if action == "view" else None  # e.g. an auditor's engagement
    rows = _by_object_perms(user, queryset, codename)
    return rows if granted is None else queryset.filter(Q(pk__in=rows.values("pk")) | granted)


def granted_only(user: User, queryset: QuerySet[M]) -> QuerySet[M]:
    """Rows of ``queryset`` granted to ``user`` by a scope provider alone (an auditor's engagement)."""
    granted = granted_rows(user, queryset.model)
    return queryset.none() if granted is None else queryset.filter(granted)


def may_view(user: User, model: type[Model], perm: str | None = None) -> bool:
    """May ``user`` open the pages of ``model`` at all?

    Holders of ``perm`` (by default ``<app>.view_<model>``) may; so may a user to whom a scope
    provider grants at least one row of ``model`` today (an auditor of an engagement in progress:
    one query, only for users without the permission). Which rows they then see is ``scoped``'s.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    meta = model._meta
    if user.has_perm(perm or f"{meta.app_label}.view_{meta.model_name}"):
        return True
    return granted_only(user, model._default_manager.all()).exists()


def _by_object_perms(user: User, queryset: QuerySet[M], codename: str) -> QuerySet[M]:
    meta = queryset.model._meta
    if not may_hold_object_perms(user, queryset.model):
        return queryset.none()  # object permissions count only while a role allows them
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


def can(user: User, obj: Model, action: str) -> bool:
    """Does ``user`` hold ``action`` on ``obj``, globally or on the object?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    meta = obj._meta
    perm = f"{meta.app_label}.{action}_{meta.model_name}"
    return bool(user.has_perm(perm) or user.has_perm(perm, obj))


OWNER_ACTIONS = ("view", "change")


def owners_q(model: type[Model]) -> Q:
    """Users whose roles may own objects of ``model`` (``<app>.own_<model>``), as a filter on users."""
    app_label, codename = own_perm(model).split(".")
    by_group = Q(groups__permissions__content_type__app_label=app_label, groups__permissions__codename=codename)
    by_user = Q(user_permissions__content_type__app_label=app_label, user_permissions__codename=codename)
    return Q(is_superuser=True) | by_group | by_user


def check_may_own(person: Any, model: type[Model], field: str = "owner") -> None:
    """``ValidationError`` on ``field`` unless ``person`` (if any) may own objects of ``model``.

    The one rule for pages, the API and bulk changes: an owner receives object permissions,
    so only a person whose roles allow them (e.g. a Control owner) may be made the owner.
    """
    if person is not None and not may_hold_object_perms(person, model):
        noun = model._meta.verbose_name_plural
        raise ValidationError(
            {field: f"{person} may not own {noun}: their roles do not allow it (a Control owner may, for example)."}
        )


@transaction.atomic
def hand_over_object_perms(*, obj: Model, previous: Any, new: Any) -> None:
    """Move the owner's object permissions (view, change) from ``previous`` to ``new``.

    ``new`` must be someone whose roles may own such objects (``check_may_own``).
    """
    check_may_own(new, type(obj))
    meta = obj._meta
    perms = [f"{meta.app_label}.{a}_{meta.model_name}" for a in OWNER_ACTIONS]
    if previous is not None and (new is None or previous.pk != new.pk):
        for perm in perms:
            remove_perm(perm, previous, obj)
    if new is not None:
        for perm in perms:
            assign_perm(perm, new, obj)
