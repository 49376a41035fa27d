"""API permissions that also let in reads of rows a scope grants (an auditor's engagement).

An auditor holds no governance permission: ``ModelPerms`` alone refuses them. While an
engagement they audit is in progress, ``core.scopes`` grants them the rows in its scope;
these classes let their reads (GET, HEAD, OPTIONS of a ``view`` action) through, and the
view's queryset (built with ``governance.scoping.scoped``) shows only those rows. Writes
stay refused.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS

from core.api_permissions import IsSignedIn, ModelPerms
from governance.models import Risk
from governance.scoping import granted_only, may_view

USE_RISKS = "governance.view_riskmatrix"


def _is_read(request: Any, view: Any) -> bool:
    return bool(request.method in SAFE_METHODS and getattr(view, "action", None) in (None, "list", "retrieve"))


class ScopedModelPerms(ModelPerms):
    """``ModelPerms``, plus reads of the rows a scope grants."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if super().has_permission(request, view):
            return True
        return _is_read(request, view) and may_view(request.user, view.get_queryset().model)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if super().has_object_permission(request, view, obj):
            return True
        if not _is_read(request, view):
            return False
        return granted_only(request.user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


class MayUseRisks(ScopedModelPerms):
    """``governance.view_riskmatrix`` to reach the register; then model or object permissions.

    Without it, an auditor reads the risks in the scope of their engagement, and nothing else.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if ModelPerms.has_permission(self, request, view) and request.user.has_perm(USE_RISKS):
            return True
        return _is_read(request, view) and may_view(request.user, Risk)


class MayReadRisks(IsSignedIn):
    """Reads of what is drawn from the visible risks (the heat map): risk users and auditors in scope."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return bool(request.user.has_perm(USE_RISKS) or may_view(request.user, Risk))
