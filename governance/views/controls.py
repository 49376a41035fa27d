"""Pages of controls and their tests, the Statement of Applicability and the compliance dashboard.

Views are thin: they read input, call a selector or a service, render. Control owners
reach only their own controls (404 for the others); changes they may not make are 403.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from access.models import User
from core.errors import DomainError, PermissionDeniedError
from core.listing import Column, ListSpec, build_list, csv_response
from governance.filters import ControlFilterSet, ControlTestFilterSet
from governance.flags import attach_raised_flags
from governance.forms.controls import (
    PICKER_MAX_RESULTS,
    PICKER_ORDER,
    ControlBulkOwnerForm,
    ControlForm,
    RecordTestForm,
    picker_ids,
    picker_matches,
    requirements_for_picker,
)
from governance.forms.risks import AssignTestsForm
from governance.models import (
    Control,
    Outcome,
)
from governance.scoping import can
from governance.selectors import controls as selectors
from governance.selectors.pickers import people_masked
from governance.services import controls as services
from governance.services import owners

# --- helpers ---


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require_browse(request: HttpRequest) -> User:
    user = _user(request)
    if not selectors.may_browse_controls(user):
        raise PermissionDenied("You hold no controls and may not browse them.")
    return user


def _require(request: HttpRequest, *perms: str) -> User:
    user = _user(request)
    if not all(user.has_perm(p) for p in perms):
        raise PermissionDenied("You do not have permission to see this page.")
    return user


def _control(request: HttpRequest, pk: int, action: str = "view") -> Control:
    """The control, if the user may see it (404 otherwise), and may ``action`` it (403 otherwise)."""
    user = _user(request)
    try:
        control = selectors.control_for(user, pk)
    except Control.DoesNotExist as exc:
        raise Http404("No such control.") from exc
    if action != "view" and not can(user, control, action):
        raise PermissionDenied("You may not change this control.")
    return control


def _add_errors(form: Any, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, str(exc))


def _today() -> date:
    return timezone.localdate()


CONTROL_LIST = ListSpec(
    ControlFilterSet,
    columns=(
        Column("Reference", lambda c: c.ref),
        Column("Title", lambda c: c.title),
        Column("Status", lambda c: c.get_status_display()),
        Column("Owner", lambda c: c.owner.email if c.owner else ""),
        Column("Test frequency", lambda c: c.get_test_frequency_display()),
        Column("Latest result", lambda c: c.get_latest_test_result_display()),
        Column("Latest test on", lambda c: c.latest_test_on or ""),
        Column("Next test due", lambda c: c.next_test_due or ""),
        Column("Mapped requirements", lambda c: c.requirement_count),
    ),
)


TEST_LIST = ListSpec(
    ControlTestFilterSet,
    columns=(
        Column("Control", lambda t: t.control.ref),
        Column("Control title", lambda t: t.control.title),
        Column("Control owner", lambda t: t.control.owner.email if t.control.owner else ""),
        Column("Due", lambda t: t.due_date),
        Column("Performed on", lambda t: t.performed_on or ""),
        Column("Result", lambda t: t.get_result_display()),
        Column("Tester", lambda t: t.tester.email if t.tester else ""),
        Column("Assigned to", lambda t: t.assignee.email if t.assignee else ""),
        Column("Notes", lambda t: t.notes),
        Column("Evidence reference", lambda t: t.evidence_reference),
        Column("Evidence file", lambda t: t.evidence_file.name if t.evidence_file else ""),
    ),
)


# --- controls ---


@login_required
def control_list(request: HttpRequest) -> HttpResponse:
    user = _require_browse(request)
    controls = selectors.with_flags(selectors.controls_visible_to(user))
    listing = build_list(CONTROL_LIST, controls, request)
    rows = list(listing.page.object_list)
    attach_raised_flags(rows)
    listing.page.object_list = rows
    can_assign = user.has_perm("governance.change_control")
    context = {
        "listing": listing,
        "today": _today(),
        "can_add": user.has_perm("governance.add_control"),
        "can_assign": can_assign,
        "bulk_form": ControlBulkOwnerForm() if can_assign else None,
    }
    return render(request, "governance/controls/control_list.html", context)


@login_required
def control_csv(request: HttpRequest) -> HttpResponse:
    user = _require_browse(request)
    return csv_response(CONTROL_LIST, selectors.controls_visible_to(user), request, "controls.csv")


@login_required
def control_create(request: HttpRequest) -> HttpResponse:
    user = _require(request, "governance.add_control")
    form = ControlForm(request.POST or None, user=user, can_assign=user.has_perm("governance.change_control"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            control = services.create_control(
                actor=user,
                ref=data["ref"],
                title=data["title"],
                description=data["description"],
                owner=data.get("owner"),
                status=data["status"],
                implementation_notes=data["implementation_notes"],
                test_frequency=data["test_frequency"],
                expected_evidence=data["expected_evidence"],
                requirements=data["requirements"],
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from exc
        except (DomainError, ValidationError) as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Control {control.ref} is created.")
            return redirect("governance:control_detail", pk=control.pk)
    return render(request, "governance/controls/control_form.html", {"form": form, "control": None})


@login_required
def control_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    control = _control(request, pk, "change")
    can_assign = user.has_perm("governance.change_control")
    initial = {name: getattr(control, name) for name in ("ref", *services.EDITABLE_FIELDS)}
    initial["owner"] = control.owner
    initial["requirements"] = list(control.requirements.values_list("pk", flat=True))
    form = ControlForm(request.POST or None, initial=initial, user=user, control=control, can_assign=can_assign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in services.EDITABLE_FIELDS}
        if can_assign:
            changes["ref"] = data["ref"]
        try:
            with transaction.atomic():  # all three changes, or none
                services.update_control(actor=user, control=control, **changes)
                services.map_control_requirements(actor=user, control=control, requirements=data["requirements"])
                if can_assign:
                    services.assign_control_owner(actor=user, control=control, owner=data["owner"])
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from exc
        except (DomainError, ValidationError) as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Control {control.ref} is saved.")
            return redirect("governance:control_detail", pk=control.pk)
    return render(request, "governance/controls/control_form.html", {"form": form, "control": control})


@login_required
def control_requirement_search(request: HttpRequest) -> HttpResponse:
    """The picker's choices (htmx): the ticked requirements, then up to 50 that match ``q``."""
    user = _require(request, "governance.view_requirement")
    requirements = requirements_for_picker(user)
    ticked = picker_ids(request.GET.getlist("requirements"))
    query = request.GET.get("q", "").replace("\x00", "")[:100]
    matches = picker_matches(requirements, query, ticked)
    context = {
        "selected": list(requirements.filter(pk__in=ticked).order_by(*PICKER_ORDER)),
        "matches": matches[:PICKER_MAX_RESULTS],
        "more": len(matches) > PICKER_MAX_RESULTS,
        "query": query.strip(),
        "widget": {"name": "requirements"},
    }
    return render(request, "governance/controls/_requirement_choices.html", context)


def _may_record(user: User, control: Control) -> bool:
    return user.has_perm("governance.add_controltest") or can(user, control, "change")


@login_required
def control_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    control = _control(request, pk)
    may_record = _may_record(user, control)
    detail = selectors.control_detail(control, user)
    attach_raised_flags([control])
    context = {
        "control": control,
        **detail,
        "raised_flags": control.raised_flags,  # type: ignore[attr-defined]
        "can_edit": can(user, control, "change"),
        "may_record": may_record,
        "test_form": RecordTestForm() if may_record else None,
    }
    return render(request, "governance/controls/control_detail.html", context)


@login_required
def control_record_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    control = _control(request, pk)
    if not _may_record(user, control):
        raise PermissionDenied("You may record tests only of the controls you own.")
    form = RecordTestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            test = services.record_control_test(
                actor=user,
                control=control,
                result=data["result"],
                performed_on=data["performed_on"],
                notes=data["notes"],
                evidence_reference=data["evidence_reference"],
                evidence_file=data["evidence_file"] or None,
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc)) from exc
        except (DomainError, ValidationError) as exc:
            _add_errors(form, exc)
        else:
            note = "" if test.result == Outcome.PASS else " A finding is opened for the failure."
            label = test.get_result_display().lower()
            messages.success(request, f"The {label} test of {control.ref} is recorded.{note}")
            return redirect("governance:control_detail", pk=control.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "governance/controls/record_test.html", {"form": form, "control": control}, status=status)


# --- control tests ---


@login_required
def control_test_list(request: HttpRequest) -> HttpResponse:
    user = _require_browse(request)
    tests = selectors.with_test_flags(selectors.control_tests_visible_to(user))
    listing = build_list(TEST_LIST, tests, request)
    context = {
        "listing": listing,
        "today": _today(),
        "bulk_form": AssignTestsForm() if user.has_perm(owners.CONTROL_TESTS.perm) else None,
    }
    return render(request, "governance/controls/test_list.html", context)


@login_required
def control_test_csv(request: HttpRequest) -> HttpResponse:
    user = _require_browse(request)
    # Testers, assignees and owners are named only to those who may see users (a Control owner sees himself).
    people = {
        "Control owner": lambda t: t.control.owner,
        "Tester": lambda t: t.tester,
        "Assigned to": lambda t: t.assignee,
    }
    spec = replace(TEST_LIST, columns=people_masked(TEST_LIST.columns, user, people))
    return csv_response(spec, selectors.control_tests_visible_to(user), request, "control-tests.csv")
