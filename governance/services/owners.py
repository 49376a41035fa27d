"""Who answers for what: one owner (or assignee) given to many rows of a list at once, e.g.
when someone leaves or a team is reorganised. The one bulk-owner service of every list.

Most owners are named responsibility, shown and filtered on, needing no permission of their
own. Controls and risks are different: their owners also gain object permissions, so each
changed row goes through the kind's own one-row service (``assign``), which checks that the
person may own it and moves the permissions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from access.models import User
from core.permissions import require_perm
from governance.models import Asset, ComplianceException, Control, ControlTest, Finding, Framework, Requirement, Risk
from governance.scoping import can
from governance.services.controls import assign_control_owner
from governance.services.risks import MANAGE_RISKS, assign_risk_owner


@dataclass(frozen=True)
class OwnedKind:
    model: type[models.Model]
    field: str  # the foreign key to the user
    perm: str  # needed to give these objects an owner
    noun: str  # plural, for messages
    # The one-row service for kinds whose owners gain more than a name (object permissions).
    assign: Callable[..., Any] | None = None


def _assign_control(actor: User, row: Any, person: Any) -> None:
    assign_control_owner(actor=actor, control=row, owner=person)


def _assign_risk(actor: User, row: Any, person: Any) -> None:
    assign_risk_owner(actor=actor, risk=row, owner=person)


FRAMEWORKS = OwnedKind(Framework, "owner", "governance.change_framework", "frameworks")
REQUIREMENTS = OwnedKind(Requirement, "owner", "governance.change_requirement", "requirements")
CONTROL_TESTS = OwnedKind(ControlTest, "assignee", "governance.change_controltest", "control tests")
EXCEPTIONS = OwnedKind(ComplianceException, "owner", "governance.change_complianceexception", "exceptions")
FINDINGS = OwnedKind(Finding, "owner", "governance.change_finding", "findings")
ASSETS = OwnedKind(Asset, "owner", "governance.change_asset", "assets")
CONTROLS = OwnedKind(Control, "owner", "governance.change_control", "controls", assign=_assign_control)
RISKS = OwnedKind(Risk, "owner", MANAGE_RISKS, "risks", assign=_assign_risk)


def check_person(field: str, person: Any) -> None:
    """Only an active user can answer for something."""
    if person is not None and not person.is_active:
        raise ValidationError({field: "This user is deactivated; choose an active user."})


def may_record_tests_of(person: Any, control: Any) -> bool:
    """Whether ``person`` may record a test of ``control`` (the rule of ``record_control_test``)."""
    return bool(person.has_perm("governance.add_controltest") or can(person, control, "change"))


def _refuse_unable_assignee(tests: list[Any], person: Any) -> None:
    if person is None:
        return
    unable = sorted({t.control.ref for t in tests if not may_record_tests_of(person, t.control)})
    if unable:
        named = ", ".join(unable[:5]) + (" and more" if len(unable) > 5 else "")
        advice = "make them the control's owner first, or choose someone else"
        raise ValidationError({"assignee": f"{person} may not record tests of {named}: {advice}."})


def _refuse_performed_tests(tests: list[Any]) -> None:
    done = [test for test in tests if test.result or test.performed_on]
    if done:
        named = ", ".join(f"{t.control.ref} of {t.performed_on or t.due_date}" for t in done[:5])
        more = f" and {len(done) - 5} more" if len(done) > 5 else ""
        raise ValidationError(
            {"ids": f"Only planned tests can be assigned; these were already performed: {named}{more}."}
        )


@transaction.atomic
def bulk_assign(*, actor: User, kind: OwnedKind, objects: Iterable[Any], person: Any) -> int:
    """Give every object the same owner (``None`` clears it); returns how many changed. All or nothing.

    Each object is saved on its own so the audit trail has an entry per change.
    """
    require_perm(actor, kind.perm)
    check_person(kind.field, person)
    rows = list(objects)
    if kind is CONTROL_TESTS:
        _refuse_performed_tests(rows)
        _refuse_unable_assignee(rows, person)
    wanted = getattr(person, "pk", None)
    changed = 0
    for row in rows:
        if getattr(row, f"{kind.field}_id") == wanted:
            continue
        if kind.assign is not None:
            kind.assign(actor, row, person)
        else:
            setattr(row, kind.field, person)
            row.save(update_fields=[kind.field, "updated_at"])
        changed += 1
    return changed
