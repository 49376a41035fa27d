"""API permission classes. Deny by default; reads are checked too."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission


class DenyAll(BasePermission):
    """The default: a view that names no permission lets nobody in."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return False


class IsSignedIn(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_active)


class ModelPerms(IsSignedIn):
    """Model permissions for every method, GET included; object permissions on objects.

    A user passes on an object when they hold the permission globally or on that
    object (django-guardian). Unlike DRF's DjangoObjectPermissions, reads are checked.
    """

    actions = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }

    def _perm(self, request: Any, view: Any) -> str:
        model = view.get_queryset().model
        action = getattr(view, "perm_action_map", {}).get(getattr(view, "action", None)) or self.actions[request.method]
        return f"{model._meta.app_label}.{action}_{model._meta.model_name}"

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        perm = self._perm(request, view)
        if request.user.has_perm(perm):
            return True
        # Object-scoped users (e.g. control owners) pass here and are filtered per object.
        return bool(getattr(view, "object_scoped", False))

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        perm = self._perm(request, view)
        return bool(request.user.has_perm(perm) or request.user.has_perm(perm, obj))


class HasRequiredPerm(IsSignedIn):
    """The permission named by the view's ``required_perm``, globally or on the object (guardian).

    For endpoints whose rule is one permission for every method (e.g. user management
    needs ``access.manage_users`` to read as well as to write). A view that names none
    lets nobody in.
    """

    def _required(self, view: Any) -> str | None:
        return getattr(view, "required_perm", None)

    def has_permission(self, request: Any, view: Any) -> bool:
        perm = self._required(view)
        return bool(perm and super().has_permission(request, view) and request.user.has_perm(perm))

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        perm = self._required(view)
        return bool(perm and (request.user.has_perm(perm) or request.user.has_perm(perm, obj)))


class IsOwner(IsSignedIn):
    """Objects that belong to one user (``obj.user_id``): only that user, reads included."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return bool(getattr(obj, "user_id", None) == request.user.pk)
