"""What the type-ahead pickers of the governance pages may offer a user: people and assets.

People (owners, approvers): who may use the people picker, and whom it finds.
- Holders of ``access.view_user`` or of a global permission to assign owners
  (``governance.change_control``, ``change_risk``, ``change_asset``, ``change_finding``):
  every active user. In roles: Administrator, Compliance officer, IT administrator.
- People who browse only what they own (a Control owner: ``view_riskmatrix`` or the control
  pages) may filter their lists by owner, and find only themselves: they learn no other name.
- Everyone else (auditors, employees): refused.

Controls (a risk's mitigating controls): the controls the user may see, for whoever uses the
risk or control pages.

Assets: holders of ``governance.view_asset`` find every asset; people who see risks but not
the inventory (a Control owner) find only the assets of the risks they may see; others are
refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet

from access.models import Role, User
from governance.models import Asset, Control, Risk
from governance.scoping import scoped
from governance.selectors.controls import may_browse_controls
from workbench.pickers import PickerSource

ASSIGN_PERMS = (
    "access.view_user",
    "governance.change_control",
    "governance.change_risk",
    "governance.change_asset",
    "governance.change_finding",
)
OWNER_ROLES = (Role.CONTROL_OWNER, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR)


def _signed_in(user: Any) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def may_pick_anyone(user: Any) -> bool:
    return _signed_in(user) and any(user.has_perm(perm) for perm in ASSIGN_PERMS)


def may_use_people_picker(user: Any) -> bool:
    """Anyone who assigns owners, or filters their own lists by owner."""
    if not _signed_in(user):
        return False
    return may_pick_anyone(user) or user.has_perm("governance.view_riskmatrix") or may_browse_controls(user)


def owner_candidates() -> QuerySet[User]:
    """Active users who may sensibly own a control (the roles that work on controls)."""
    return User.objects.filter(is_active=True, groups__name__in=OWNER_ROLES).distinct().order_by("full_name", "email")


def people_for_picker(user: Any, params: Mapping[str, str] | None = None) -> QuerySet[User]:
    """Active users ``user`` may pick; ``among=control-owners`` narrows to who may own a control."""
    params = params or {}
    people = User.objects.filter(is_active=True)
    if may_pick_anyone(user):
        pass
    elif may_use_people_picker(user):
        people = people.filter(pk=user.pk)
    else:
        return User.objects.none()
    among = params.get("among")
    if among == "control-owners":
        people = people.filter(pk__in=owner_candidates().values("pk"))
    return people


def may_use_asset_picker(user: Any) -> bool:
    return _signed_in(user) and (user.has_perm("governance.view_asset") or user.has_perm("governance.view_riskmatrix"))


def assets_for_picker(user: Any, params: Mapping[str, str] | None = None) -> QuerySet[Asset]:
    """Assets ``user`` may pick: the inventory, or the assets of the risks they may see."""
    params = params or {}
    if not _signed_in(user):
        return Asset.objects.none()
    if user.has_perm("governance.view_asset"):
        assets = Asset.objects.all()
    elif user.has_perm("governance.view_riskmatrix"):
        links = Risk.assets.through.objects.filter(risk__in=scoped(user, Risk.objects.all()).values("pk"))
        assets = Asset.objects.filter(pk__in=links.values("asset_id"))
    else:
        return Asset.objects.none()
    if params.get("active") == "1":
        assets = assets.filter(is_active=True)
    return assets


def may_use_control_picker(user: Any) -> bool:
    """Whoever records risks or owns some: they pick the controls that mitigate them."""
    return _signed_in(user) and (user.has_perm("governance.view_riskmatrix") or may_browse_controls(user))


def controls_for_picker(user: Any, params: Mapping[str, str] | None = None) -> QuerySet[Control]:
    """Controls ``user`` may see (all of them, or a Control owner's own)."""
    if not may_use_control_picker(user):
        return Control.objects.none()
    return scoped(user, Control.objects.all())


def person_label(user: Any) -> str:
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name and name != user.email else str(user.email)


def asset_label(asset: Any) -> str:
    inactive = ", inactive" if not asset.is_active else ""
    return f"{asset.name} ({asset.get_kind_display()}{inactive})"


def control_label(control: Any) -> str:
    return f"{control.ref} {control.title}"


def _control_search(query: str) -> Q:
    return Q(ref__icontains=query) | Q(title__icontains=query)


def _person_search(query: str) -> Q:
    return Q(email__icontains=query) | Q(full_name__icontains=query)


def _asset_search(query: str) -> Q:
    kinds = [value for value, label in Asset.Kind.choices if query.lower() in str(label).lower()]
    return Q(name__icontains=query) | Q(kind__in=kinds)


PEOPLE = PickerSource(
    url_name="governance:people_search",
    rows=people_for_picker,
    search=_person_search,
    order=("full_name", "email", "pk"),
    label=person_label,
    placeholder="Type a name or email",
)

ASSETS = PickerSource(
    url_name="governance:asset_search",
    rows=assets_for_picker,
    search=_asset_search,
    order=("name", "pk"),
    label=asset_label,
    placeholder="Type a name or kind",
)

CONTROLS = PickerSource(
    url_name="governance:control_search",
    rows=controls_for_picker,
    search=_control_search,
    order=("ref", "pk"),
    label=control_label,
    placeholder="Type a reference or title",
)
