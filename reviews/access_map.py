"""Who can access what: for one person, every role, object permission, access granted for a while
(with when it ends) and imported account.

Object permissions are read from guardian's direct foreign-key tables (one per kind of
object, e.g. ``ControlUserObjectPermission``) and its generic table: the counts of all tables
come with the person (one query of scalar sub-selects), then one page of rows per table that
has any, so the page costs the same number of queries for 1 or 10,000 grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from guardian.models import UserObjectPermission, UserObjectPermissionBase

from access.models import User
from reviews.models import AccessGrant, SystemAccount

PAGE = 50


@dataclass
class GrantTable:
    label: str
    count: int
    rows: list[dict[str, Any]]


def _direct_models() -> list[Any]:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, UserObjectPermissionBase) and m is not UserObjectPermission and not m._meta.abstract
    ]


def _table_key(model: Any) -> str:
    return f"grant_count_{model._meta.model_name}"


def _count(model: Any) -> Coalesce:
    """How many rows of a grant table the user of the outer query holds, as a scalar sub-select."""
    counted = model.objects.filter(user_id=OuterRef("pk")).order_by().values("user_id").annotate(n=Count("*"))
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), 0)


def person_for_access(pk: int) -> User:
    """The person, with how many rows of each grant table they hold: one query for all the counts."""
    counts = {_table_key(m): _count(m) for m in [*_direct_models(), UserObjectPermission]}
    return User.objects.annotate(**counts).get(pk=pk)


def _held(person: User, model: Any, qs: Any) -> int:
    counted = getattr(person, _table_key(model), None)
    return int(counted) if counted is not None else qs.count()


def object_grants(person: User, limit: int = PAGE) -> list[GrantTable]:
    """One page of rows of each grant table; the counts come with ``person_for_access`` (else one each)."""
    tables: list[GrantTable] = []
    for model in sorted(_direct_models(), key=lambda m: m._meta.label):
        target = model._meta.get_field("content_object").related_model
        qs = model.objects.filter(user_id=person.pk)
        count = _held(person, model, qs)
        rows = [
            {"object": str(r.content_object), "object_id": r.content_object_id, "permission": r.permission.codename}
            for r in qs.select_related("permission", "content_object").order_by("pk")[:limit]
        ]
        tables.append(GrantTable(str(target._meta.verbose_name_plural).capitalize(), count, rows))
    generic = UserObjectPermission.objects.filter(user_id=person.pk)
    count = _held(person, UserObjectPermission, generic)
    rows = [
        {"object": f"{r.content_type.model} #{r.object_pk}", "object_id": r.object_pk, "permission": perm.codename}
        for r in generic.select_related("permission", "content_type").order_by("pk")[:limit]
        for perm in (r.permission,)
    ]
    tables.append(GrantTable("Other objects", count, rows))
    return tables


def person_access(person: User) -> dict[str, Any]:
    """Roles (with when a granted one ends), object permissions, access granted for a while, accounts."""
    grants = list(
        AccessGrant.objects.filter(user_id=person.pk, removed_at__isnull=True)
        .select_related("request__content_type")
        .order_by("expires_at", "pk")
    )
    role_ends = {g.request.role: g.expires_at for g in grants if g.request.role}
    names = sorted(person.groups.values_list("name", flat=True))
    roles = [{"name": name, "until": role_ends.get(name)} for name in names]
    accounts = list(
        SystemAccount.objects.filter(user=person, is_current=True)
        .select_related("asset", "snapshot")
        .order_by("asset__name", "account")
    )
    return {"roles": roles, "objects": object_grants(person), "grants": grants, "accounts": accounts}


# --- Who can see or change one object ---

OBJECT_KINDS = {"framework": "governance.Framework", "control": "governance.Control", "risk": "governance.Risk"}


def _direct_table(model: Any) -> Any:
    for candidate in _direct_models():
        if candidate._meta.get_field("content_object").related_model is model:
            return candidate
    return None


def object_access(obj: Any, limit: int = PAGE) -> dict[str, Any]:
    """Everyone who can see or change ``obj``: through a role (model permission) or an object permission.

    An object permission counts only while one of the holder's roles allows owning that kind
    of object (``<app>.own_<model>``), as ``access.backends`` decides on every request.
    """
    meta = obj._meta
    codenames = [f"view_{meta.model_name}", f"change_{meta.model_name}"]
    perms = Permission.objects.filter(content_type__app_label=meta.app_label, codename__in=codenames)
    own = Permission.objects.filter(content_type__app_label=meta.app_label, codename=f"own_{meta.model_name}")
    via_roles = (
        User.objects.filter(is_active=True)
        .filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms) | Q(is_superuser=True))
        .distinct()
        .order_by("email")
    )
    role_rows = [
        {"user": u, "roles": sorted(g.name for g in u.groups.all())}
        for u in via_roles.prefetch_related("groups")[:limit]
    ]
    table = _direct_table(type(obj))
    grants: list[dict[str, Any]] = []
    grant_count = 0
    if table is not None:
        rows = (
            table.objects.filter(content_object=obj, user__is_active=True)
            .annotate(counts=Exists(own.filter(group__user=OuterRef("user_id"))))
            .select_related("user", "permission")
            .order_by("user__email", "permission__codename")
        )
        grant_count = rows.count()
        grants = [{"user": r.user, "permission": r.permission.codename, "counts": r.counts} for r in rows[:limit]]
    return {
        "object": obj,
        "kind": meta.verbose_name,
        "role_count": via_roles.count(),
        "role_rows": role_rows,
        "grant_count": grant_count,
        "grants": grants,
    }
