"""Controls and their tests: every state change, one function per action.

Control owners hold ``view_control`` and ``change_control`` on the controls they own
(object permissions, moved by ``assign_control_owner``); Compliance officers hold them
globally. The denormalised test fields of a control (latest result, latest date, next
due date) are kept up to date here and nowhere else, so lists filter in the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from access.models import User
from core.errors import DomainError, PermissionDeniedError
from core.permissions import require_perm
from governance.models import Control, ControlTest, Finding, Frequency, Outcome, Requirement
from governance.scoping import can, check_may_own, hand_over_object_perms

# Fields an owner (object ``change_control``) may edit; ``ref`` and the owner need the global permission.
EDITABLE_FIELDS = ("title", "description", "status", "implementation_notes", "test_frequency", "expected_evidence")
FINDING_DAYS = 30


def _require_change(actor: User, control: Control) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDeniedError("You must be signed in.")
    if not can(actor, control, "change"):
        raise PermissionDeniedError("You may change only the controls you own.")


def _check_owner(owner: Any) -> None:
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": "This user is deactivated; choose an active user as the owner."})
    check_may_own(owner, Control)


@transaction.atomic
def create_control(
    *,
    actor: User,
    ref: str,
    title: str,
    description: str = "",
    owner: Any = None,
    status: str = Control.Status.PLANNED,
    implementation_notes: str = "",
    test_frequency: str = Frequency.ANNUAL,
    expected_evidence: str = "",
    requirements: Iterable[Requirement] = (),
) -> Control:
    """Create a control; its owner (if any) receives the owner's object permissions."""
    require_perm(actor, "governance.add_control")
    _check_owner(owner)
    control = Control(
        ref=ref.strip(),
        title=title.strip(),
        description=description,
        owner=owner,
        status=status,
        implementation_notes=implementation_notes,
        test_frequency=test_frequency,
        expected_evidence=expected_evidence,
    )
    control.full_clean()
    control.save()
    if owner is not None:
        hand_over_object_perms(obj=control, previous=None, new=owner)
    requirements = list(requirements)
    if requirements:
        _apply_mapping(control, requirements)
    return control


@transaction.atomic
def update_control(*, actor: User, control: Control, **changes: Any) -> Control:
    """Change the fields of a control. Owners may edit their own; ``ref`` needs the global permission.

    Only a control on a schedule (implemented, with a test frequency) has a next due date
    and open planned tests: leaving the schedule clears the date and cancels those tests;
    coming back sets the date from the latest test (or the scheduler plans it from today).
    """
    _require_change(actor, control)
    allowed = set(EDITABLE_FIELDS)
    if actor.has_perm("governance.change_control"):
        allowed.add("ref")
    unknown = set(changes) - allowed
    if unknown:
        names = ", ".join(sorted(unknown))
        raise PermissionDeniedError(f"You may not change these fields of a control: {names}.")
    stored = Control.objects.select_for_update().only("status", "test_frequency", "latest_test_on").get(pk=control.pk)
    control.latest_test_on = stored.latest_test_on
    for name, value in changes.items():
        setattr(control, name, value.strip() if name in ("ref", "title") and isinstance(value, str) else value)
    rejoins = stored.status != Control.Status.IMPLEMENTED or control.test_frequency != stored.test_frequency
    if rejoins and control.latest_test_on is not None:
        control.next_test_due = control.compute_next_due(control.latest_test_on)
    elif stored.status != Control.Status.IMPLEMENTED:
        control.next_test_due = None  # never tested: the scheduler plans it for the day it runs
    if not _on_schedule(control):
        control.next_test_due = None
    control.full_clean()
    control.save(update_fields=[*changes, "next_test_due", "updated_at"])
    if not _on_schedule(control):
        _cancel_open_tests(control)
    return control


def _on_schedule(control: Control) -> bool:
    """Is ``control`` tested on a schedule: implemented, with a test frequency?"""
    return control.status == Control.Status.IMPLEMENTED and control.test_frequency != Frequency.NONE


def _cancel_open_tests(control: Control) -> int:
    """Delete the planned tests of ``control`` that were never performed; returns how many.

    For a control that left the schedule (no longer implemented, or no test frequency):
    a planned test without a result holds no history, so it goes, one delete per row so
    the audit trail records each. One a finding refers to stays, for the finding's sake;
    overdue figures count only tests of implemented controls, so it flags nothing.
    When the control is implemented again, the next scheduler run plans a new test.
    """
    cancelled = 0
    for test in open_tests().filter(control=control, findings__isnull=True).order_by("pk"):
        test.delete()
        cancelled += 1
    return cancelled


@transaction.atomic
def assign_control_owner(*, actor: User, control: Control, owner: Any) -> Control:
    """Give ``control`` a new owner (or none); the object permissions move with it."""
    require_perm(actor, "governance.change_control")
    _check_owner(owner)
    previous = control.owner
    if (previous.pk if previous else None) == (owner.pk if owner else None):
        return control
    control.owner = owner
    control.save(update_fields=["owner", "updated_at"])
    hand_over_object_perms(obj=control, previous=previous, new=owner)
    return control


def _apply_mapping(control: Control, requirements: list[Requirement]) -> None:
    current = set(control.requirements.values_list("pk", flat=True))
    wanted = {r.pk: r for r in requirements}
    added = [r for pk, r in wanted.items() if pk not in current]
    removed_refs = sorted(f"{r.ref_id}" for r in added if r.removed_at is not None)
    if removed_refs:
        listed = ", ".join(removed_refs)
        raise ValidationError({"requirements": f"No longer in their framework, so not mappable anew: {listed}."})
    sections = sorted(r.ref_id for r in added if r.is_section)
    if sections:
        raise ValidationError(
            {"requirements": f"Sections group requirements; map the requirements under them: {', '.join(sections)}."}
        )
    dropped = current - set(wanted)
    if dropped:
        control.requirements.remove(*dropped)
    if added:
        control.requirements.add(*added)


@transaction.atomic
def map_control_requirements(*, actor: User, control: Control, requirements: Iterable[Requirement]) -> Control:
    """Make the requirements of ``control`` exactly ``requirements`` (of any frameworks).

    Requirements that a re-import removed stay mapped while the caller keeps them in
    the list, but cannot be mapped anew.
    """
    _require_change(actor, control)
    _apply_mapping(control, list(requirements))
    return control


def _validate_test(result: str, performed_on: date | None) -> None:
    errors: dict[str, str] = {}
    if result not in Outcome.values:
        errors["result"] = "Choose pass, fail or partial."
    if performed_on is None:
        errors["performed_on"] = "Give the date the test was performed."
    elif performed_on > timezone.localdate():
        errors["performed_on"] = "A test cannot be performed in the future; give today's date or an earlier one."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_control_test(
    *,
    actor: User,
    control: Control,
    result: str,
    performed_on: date,
    notes: str = "",
    evidence_reference: str = "",
    evidence_file: UploadedFile | None = None,
    tester: Any = None,
) -> ControlTest:
    """Record a performed test; a failure or a partial result opens a finding.

    Allowed to holders of ``governance.add_controltest`` and to whoever may change the
    control (its owner tests their own controls). The open planned test of the control,
    if any, is the one that gets the result. Only a control on a schedule (implemented,
    with a test frequency) gets a next due date.
    """
    if not (actor is not None and actor.is_authenticated and actor.is_active):
        raise PermissionDeniedError("You must be signed in.")
    if not (actor.has_perm("governance.add_controltest") or can(actor, control, "change")):
        raise PermissionDeniedError("You may record tests only of the controls you own.")
    _validate_test(result, performed_on)
    tester = tester or actor
    if not tester.is_active:
        raise ValidationError({"tester": "This user is deactivated; choose an active tester."})
    given, control = control, Control.objects.select_for_update().get(pk=control.pk)
    test = control.tests.filter(result="", performed_on__isnull=True).order_by("due_date", "pk").first()
    if test is None:
        test = ControlTest(control=control, due_date=performed_on)
    test.performed_on = performed_on
    test.result = result
    test.tester = tester
    test.notes = notes
    test.evidence_reference = evidence_reference
    if evidence_file is not None:
        test.evidence_file = evidence_file  # type: ignore[assignment]
    test.full_clean()
    test.save()
    if control.latest_test_on is None or performed_on >= control.latest_test_on:
        control.latest_test_result = result
        control.latest_test_on = performed_on
        control.next_test_due = control.compute_next_due(performed_on) if _on_schedule(control) else None
        control.save(update_fields=["latest_test_result", "latest_test_on", "next_test_due", "updated_at"])
    # The caller's instance reflects the new state too, so a later save of it does not undo this.
    given.latest_test_result, given.latest_test_on = control.latest_test_result, control.latest_test_on
    given.next_test_due = control.next_test_due
    if result != Outcome.PASS:
        _open_finding(actor=actor, control=control, test=test)
    return test


def _open_finding(*, actor: User, control: Control, test: ControlTest) -> Finding:
    label = Outcome(test.result).label.lower()
    finding = Finding(
        title=f"Test of {control.ref} {label}: {control.title}"[:300],
        description=test.notes,
        severity=Finding.Severity.MEDIUM,
        control=control,
        control_test=test,
        owner=control.owner,
        raised_by=actor,
        due_date=timezone.localdate() + timedelta(days=FINDING_DAYS),
    )
    finding.full_clean()
    finding.save()
    return finding


@transaction.atomic
def delete_control(*, actor: User, control: Control) -> None:
    """Delete a control that was never tested; a tested control keeps its history (set it not applicable)."""
    require_perm(actor, "governance.delete_control", control)
    if control.tests.exclude(result="").exists() or control.findings.exists():
        raise DomainError("This control has recorded tests or findings; set its status to Not applicable instead.")
    if control.exceptions.exists():
        raise DomainError("Exceptions refer to this control; revoke or delete them first.")
    hand_over_object_perms(obj=control, previous=control.owner, new=None)
    control.tests.all().delete()
    control.requirements.clear()
    control.delete()


@dataclass(frozen=True)
class ScheduleOutcome:
    created: int
    rescheduled: int


def open_tests() -> QuerySet[ControlTest]:
    """Planned tests that have no result yet."""
    return ControlTest.objects.filter(result="", performed_on__isnull=True)


@transaction.atomic
def schedule_control_tests(*, today: date | None = None) -> ScheduleOutcome:
    """Make sure every implemented control with a test frequency has one planned test.

    The planned test is due on the control's next due date, or today when the control
    was never tested (its next due date becomes today too, so lists agree). A planned
    test whose due date no longer matches the control's (its frequency changed) moves.
    """
    today = today or timezone.localdate()
    tested = Control.objects.filter(status=Control.Status.IMPLEMENTED).exclude(test_frequency=Frequency.NONE)
    missing = tested.exclude(pk__in=open_tests().values("control_id")).order_by("pk")
    created = 0
    for control in missing.iterator(chunk_size=500):
        if control.next_test_due is None:
            control.next_test_due = today
            control.save(update_fields=["next_test_due", "updated_at"])
        ControlTest.objects.create(control=control, due_date=control.next_test_due)
        created += 1
    moved = 0
    stale = (
        open_tests()
        .filter(control__in=tested.values("pk"), control__next_test_due__isnull=False)
        .exclude(due_date=F("control__next_test_due"))
        .select_related("control")
    )
    for test in stale:
        assert test.control.next_test_due is not None  # noqa: S101 - filtered above
        test.due_date = test.control.next_test_due
        test.save(update_fields=["due_date", "updated_at"])
        moved += 1
    return ScheduleOutcome(created=created, rescheduled=moved)
