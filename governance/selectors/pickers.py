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

Requirements (what an exception or a finding is about): current requirements, not sections, of
the frameworks the user may see, for whoever reads requirements (``governance.view_requirement``).

Assets: holders of ``governance.view_asset`` find every asset; people who see risks but not
the inventory (a Control owner) find only the assets of the risks they may see; others are
refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeGuard

from django.db.models import Q, QuerySet
from django.utils.formats import date_format

from access.models import User
from core.listing import Column
from core.pickers import PickerSource
from governance.models import Asset, Control, ControlTest, Framework, Requirement, Risk
from governance.scoping import owners_q, scoped
from governance.selectors.controls import may_browse_controls

ASSIGN_PERMS = (
    "access.view_user",
    "governance.change_control",
    "governance.change_risk",
    "governance.change_asset",
    "governance.change_finding",
)


def _signed_in(user: User | None) -> TypeGuard[User]:
    return user is not None and user.is_authenticated and user.is_active


def may_pick_anyone(user: User) -> bool:
    return _signed_in(user) and any(user.has_perm(perm) for perm in ASSIGN_PERMS)


def may_use_people_picker(user: User) -> bool:
    """Anyone who assigns owners, or filters their own lists by owner."""
    if not _signed_in(user):
        return False
    return may_pick_anyone(user) or user.has_perm("governance.view_riskmatrix") or may_browse_controls(user)


def owner_candidates() -> QuerySet[User]:
    """Active users who may own a control: the rule of ``governance.scoping.check_may_own``."""
    owners = User.objects.filter(owners_q(Control)).values("pk")
    return User.objects.filter(is_active=True, pk__in=owners).order_by("full_name", "email")


def people_for_picker(user: User, params: Mapping[str, str] | None = None) -> QuerySet[User]:
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


def may_use_asset_picker(user: User) -> bool:
    return _signed_in(user) and (user.has_perm("governance.view_asset") or user.has_perm("governance.view_riskmatrix"))


def assets_for_picker(user: User | None, params: Mapping[str, str] | None = None) -> QuerySet[Asset]:
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


def may_use_control_picker(user: User) -> bool:
    """Whoever records risks or owns some: they pick the controls that mitigate them."""
    return _signed_in(user) and (user.has_perm("governance.view_riskmatrix") or may_browse_controls(user))


def controls_for_picker(user: User, params: Mapping[str, str] | None = None) -> QuerySet[Control]:
    """Controls ``user`` may see (all of them, or a Control owner's own)."""
    if not may_use_control_picker(user):
        return Control.objects.none()
    return scoped(user, Control.objects.all())


def may_use_requirement_picker(user: User) -> bool:
    return _signed_in(user) and user.has_perm("governance.view_requirement")


def requirements_for_picker(user: User, params: Mapping[str, str] | None = None) -> QuerySet[Requirement]:
    """Current requirements (not sections, not removed) of the frameworks ``user`` may see."""
    if not may_use_requirement_picker(user):
        return Requirement.objects.none()
    return Requirement.objects.filter(
        framework__in=scoped(user, Framework.objects.all()), removed_at__isnull=True, is_section=False
    ).select_related("framework")


def may_use_control_test_picker(user: User) -> bool:
    """Whoever browses controls; the tests offered are those of the controls they may change."""
    return _signed_in(user) and may_browse_controls(user)


def control_tests_for_picker(user: User, params: Mapping[str, str] | None = None) -> QuerySet[ControlTest]:
    """Tests of the controls ``user`` may change (what evidence may be linked to), newest first per control."""
    if not may_use_control_test_picker(user):
        return ControlTest.objects.none()
    return ControlTest.objects.filter(control__in=scoped(user, Control.objects.all(), "change")).select_related(
        "control"
    )


HIDDEN_PERSON = "(another user)"


def person_shown_to(viewer: User) -> Callable[[User | None], str]:
    """How ``viewer`` sees a person named on a row (an owner, a tester, who imported a framework).

    Whoever may find anyone with the people picker (``access.view_user`` or a global permission to
    assign owners) sees the email address; anyone else sees only their own and ``HIDDEN_PERSON``
    for the rest, so a Control owner learns no other user's address from a list, an export or the API.
    """
    sees_everyone = may_pick_anyone(viewer)
    own_pk = getattr(viewer, "pk", None)

    def shown(person: User | None) -> str:
        if person is None:
            return ""
        if sees_everyone or person.pk == own_pk:
            return str(person.email)
        return HIDDEN_PERSON

    return shown


def people_masked(
    columns: Iterable[Column], viewer: User, people: Mapping[str, Callable[[Any], Any]]
) -> tuple[Column, ...]:
    """``columns`` with those named in ``people`` (header -> the person of a row) as ``viewer`` may see them."""
    shown = person_shown_to(viewer)

    def masked(person_of: Callable[[Any], Any]) -> Callable[[Any], str]:
        return lambda row: shown(person_of(row))

    return tuple(Column(c.header, masked(people[c.header])) if c.header in people else c for c in columns)


def person_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name and name != user.email else str(user.email)


def asset_label(asset: Any) -> str:
    inactive = ", inactive" if not asset.is_active else ""
    return f"{asset.name} ({asset.get_kind_display()}{inactive})"


def control_label(control: Any) -> str:
    return f"{control.ref} {control.title}"


def requirement_label(requirement: Any) -> str:
    return f"{requirement.framework.name}: {requirement.ref_id} {requirement.title}"


def _requirement_search(query: str) -> Q:
    return (
        Q(ref_id__icontains=query)
        | Q(title__icontains=query)
        | Q(framework__key__icontains=query)
        | Q(framework__name__icontains=query)
    )


def control_test_label(test: Any) -> str:
    when = test.performed_on or test.due_date
    state = test.get_result_display() if test.result else "planned"
    return f"{test.control.ref}: test of {date_format(when, 'DATE_FORMAT')} ({state})"


def _control_test_search(query: str) -> Q:
    return Q(control__ref__icontains=query) | Q(control__title__icontains=query) | Q(notes__icontains=query)


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

REQUIREMENTS = PickerSource(
    url_name="governance:requirement_search",
    rows=requirements_for_picker,
    search=_requirement_search,
    order=("framework__name", "order", "pk"),
    label=requirement_label,
    placeholder="Type a reference or title",
)

CONTROLS = PickerSource(
    url_name="governance:control_search",
    rows=controls_for_picker,
    search=_control_search,
    order=("ref", "pk"),
    label=control_label,
    placeholder="Type a reference or title",
)

CONTROL_TESTS = PickerSource(
    url_name="governance:control_test_search",
    rows=control_tests_for_picker,
    search=_control_test_search,
    order=("control__ref", "-due_date", "pk"),
    label=control_test_label,
    placeholder="Type a control's reference or title",
)
