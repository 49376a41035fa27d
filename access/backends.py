"""Object permissions (django-guardian) that follow the user's roles.

guardian's backend answers from its tables alone, so a permission granted to a Control
owner on "their" control survived a change of that person's roles. Here an object
permission counts only while one of the user's roles may hold object permissions on that
kind of object (``core.permissions.may_hold_object_perms``: the model permission
``<app>.own_<model>``). The check runs on every request; the grants themselves are
removed when roles change (``access.services.change_user_roles``).

Access granted for a while (a role or an object permission, by an access request in
``reviews``) ends at its expiry in every process, on the next page or API call: the user is
loaded with the moment their granted access next ends, read in the same query
(``core.hooks.access_lapse_annotations``, a sub-select), and when that moment has passed, the access is
taken away before the request checks anything (``core.hooks.take_away_lapsed_access``). So no
query is added to a request until something lapsed; the scheduled job removes the rest. The
query holds no clock, so it is built once per process (``_users``): building its sub-selects
cost more than running them.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Model, OuterRef, Q, prefetch_related_objects
from guardian.backends import ObjectPermissionBackend

from core.hooks import access_lapse_annotations, take_away_lapsed_access
from core.permissions import may_hold_object_perms


class ExpiringGrantsModelBackend(ModelBackend):
    """Django's model backend, loading the user with whether granted access lapsed (one query).

    Lapsed access is taken away at once, before the request reads the user's roles or
    object permissions, whichever process serves it.
    """

    def get_user(self, user_id: Any) -> Any:
        try:
            user = _users().get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        take_away_lapsed_access(user)
        # Pages ask for the user's roles many times (navigation, home panels, permission tests):
        # read them once. Django forgets them if they change through this object (``groups.set``).
        prefetch_related_objects([user], "groups")
        return user

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """As Django's, in one query instead of two (the account's own permissions and its roles')."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj)
        if not hasattr(user_obj, "_perm_cache"):
            own = Permission.user_set.through.objects.filter(user_id=user_obj.pk).values("permission_id")
            granted = Permission.group_set.through.objects.values("permission_id")
            if "groups" in getattr(user_obj, "_prefetched_objects_cache", {}):  # read with the user (get_user)
                granted = granted.filter(group_id__in=[group.pk for group in user_obj.groups.all()])
            else:  # a token's owner: the roles are joined in the same query
                granted = granted.filter(group__user=user_obj)
            rows = Permission.objects.filter(Q(pk__in=own) | Q(pk__in=granted))
            pairs = rows.values_list("content_type__app_label", "codename").order_by()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in pairs}
        return cast(set[str], user_obj._perm_cache)


@functools.cache
def _users() -> Any:
    """Users with when their granted access next ends; each request filters a copy."""
    return get_user_model()._default_manager.annotate(**access_lapse_annotations(OuterRef("pk")))


class RoleBoundObjectPermissionBackend(ObjectPermissionBackend):
    """guardian's backend, refusing object permissions the user's roles do not allow."""

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if obj is None or not may_hold_object_perms(user_obj, obj):
            return False
        return bool(super().has_perm(user_obj, perm, obj))

    def get_all_permissions(self, user_obj: Any, obj: Model | None = None) -> Any:
        if obj is None or not may_hold_object_perms(user_obj, obj):
            return set()
        return super().get_all_permissions(user_obj, obj)
