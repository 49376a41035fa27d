"""Pages of controls and their tests, the Statement of Applicability and the compliance dashboard.

Views are thin: they read input, call a selector or a service, render. Control owners
reach only their own controls (404 for the others); changes they may not make are 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access.errors import DomainError, PermissionDeniedError
from access.models import User
from governance.models import (
    Control,
    ControlTest,
    Framework,
    Frequency,
    Outcome,
    Risk,
)
from governance.scoping import can, scoped
from governance.selectors import controls as selectors
from governance.selectors import exceptions as exception_selectors
from governance.selectors.pickers import PEOPLE
from governance.selectors.risks import EXPIRING_DAYS as ACCEPTANCE_EXPIRING_DAYS
from governance.selectors.risks import acceptance_counts
from governance.services import controls as services
from governance.services import owners
from governance.views.controls_forms import (
    PICKER_MAX_RESULTS,
    PICKER_ORDER,
    BulkOwnerForm,
    ControlForm,
    RecordTestForm,
    picker_ids,
    picker_matches,
    requirements_for_picker,
)
from governance.views.owners import person_filter
from governance.views.risk_forms import AssignTestsForm
from workbench.listing import Column, Filter, ListSpec, build_list, csv_response

# --- helpers ---


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _params(request: HttpRequest) -> dict[str, str]:
    """Query parameters without NUL characters, which no database accepts in a search."""
    return {key: str(value).replace("\x00", "") for key, value in request.GET.items()}


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


# "Overdue" and "failed" count only what the dashboard counts: overdue is for implemented
# controls, and an exception in force on a control excuses it from both.
TEST_STATES: dict[str, tuple[str, Callable[[], Q]]] = {
    "overdue": ("Test overdue", lambda: selectors.overdue_controls(_today())),
    "failed": ("Latest test failed or partial", lambda: selectors.failed_controls(_today())),
    "never": (
        "Implemented, never tested",
        lambda: Q(status=Control.Status.IMPLEMENTED, latest_test_on__isnull=True),
    ),
    "passing": ("Latest test passed", lambda: Q(latest_test_result=Outcome.PASS)),
}


def _test_state(raw: str) -> Any:
    return Control.objects.filter(TEST_STATES[raw][1]()).values("pk")


def _owner_subset(raw: str) -> Any:
    condition = Q(owner__isnull=True) if raw == "none" else Q(owner_id=int(raw))
    return Control.objects.filter(condition).values("pk")


def _framework_subset(raw: str) -> Any:
    return selectors.Mapping.objects.filter(requirement__framework_id=int(raw)).values("control_id")


def _framework_choices() -> Any:
    return Framework.objects.order_by("name").values_list("pk", "name")


CONTROL_LIST = ListSpec(
    search_fields=("ref", "title", "description"),
    filters=(
        Filter("status", "Status", "status", choices=Control.Status.choices),
        Filter("owner", "Owner", "pk__in", choices=[("none", "No owner")], picker=PEOPLE, convert=_owner_subset),
        Filter("frequency", "Test frequency", "test_frequency", choices=Frequency.choices),
        Filter(
            "test", "Test state", "pk__in", choices=[(k, v[0]) for k, v in TEST_STATES.items()], convert=_test_state
        ),
        Filter("framework", "Framework", "pk__in", choices=_framework_choices, convert=_framework_subset),
    ),
    sorts={
        "ref": "ref",
        "title": "title",
        "status": "status",
        "owner": "owner__full_name",
        "latest": "latest_test_on",
        "due": "next_test_due",
        "requirements": "requirement_count",
    },
    default_sort="ref",
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


def _overdue_tests(raw: str) -> Any:
    return ControlTest.objects.filter(selectors.overdue_tests(_today())).values("pk")


def _planned_tests(raw: str) -> Any:
    return ControlTest.objects.filter(result="", performed_on__isnull=True).values("pk")


TEST_LIST = ListSpec(
    search_fields=("control__ref", "control__title", "notes"),
    filters=(
        Filter("result", "Result", "result", choices=Outcome.choices),
        Filter("overdue", "Overdue", "pk__in", choices=(("yes", "Overdue only"),), convert=_overdue_tests),
        Filter("planned", "Planned", "pk__in", choices=(("yes", "Not performed yet"),), convert=_planned_tests),
        Filter("owner", "Control owner", "control__owner_id", picker=PEOPLE, convert=int),
        person_filter("assignee", "Assigned to", "assignee_id"),
        Filter("control", "Control (id)", "control_id", convert=int),
        Filter("from", "Performed from (YYYY-MM-DD)", "performed_on__gte", convert=date.fromisoformat),
        Filter("to", "Performed until (YYYY-MM-DD)", "performed_on__lte", convert=date.fromisoformat),
    ),
    sorts={
        "due": "due_date",
        "performed": "performed_on",
        "control": "control__ref",
        "result": "result",
    },
    default_sort="-due",
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
    listing = build_list(CONTROL_LIST, controls, _params(request), user=user)
    can_assign = user.has_perm("governance.change_control")
    context = {
        "listing": listing,
        "today": _today(),
        "can_add": user.has_perm("governance.add_control"),
        "can_assign": can_assign,
        "bulk_form": BulkOwnerForm(controls=Control.objects.none()) if can_assign else None,
    }
    return render(request, "governance/controls/control_list.html", context)


@login_required
def control_csv(request: HttpRequest) -> HttpResponse:
    user = _require_browse(request)
    return csv_response(CONTROL_LIST, selectors.controls_visible_to(user), _params(request), "controls.csv")


@require_POST
@login_required
def control_bulk_owner(request: HttpRequest) -> HttpResponse:
    user = _require(request, "governance.change_control")
    form = BulkOwnerForm(request.POST, controls=selectors.controls_visible_to(user))
    back = reverse("governance:control_list")
    if request.POST.get("next_query"):
        back = f"{back}?{request.POST['next_query']}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    owner = form.cleaned_data["owner"]
    try:
        changed = services.bulk_assign_control_owner(actor=user, controls=form.cleaned_data["controls"], owner=owner)
    except PermissionDeniedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except (DomainError, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(back)
    who = owner.get_full_name() if owner else "nobody"
    messages.success(request, f"{changed} control(s) now owned by {who}.")
    return redirect(back)


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
    context = {
        "control": control,
        **selectors.control_detail(control),
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
    listing = build_list(TEST_LIST, tests, _params(request), user=user)
    context = {
        "listing": listing,
        "today": _today(),
        "bulk_form": AssignTestsForm() if user.has_perm(owners.CONTROL_TESTS.perm) else None,
    }
    return render(request, "governance/controls/test_list.html", context)


@login_required
def control_test_csv(request: HttpRequest) -> HttpResponse:
    user = _require_browse(request)
    return csv_response(TEST_LIST, selectors.control_tests_visible_to(user), _params(request), "control-tests.csv")


# --- Statement of Applicability ---

SOA_PERMS = ("governance.view_requirement", "governance.view_control")


def _framework(request: HttpRequest, pk: int) -> Framework:
    user = _require(request, *SOA_PERMS)
    try:
        return scoped(user, Framework.objects.all(), "view").get(pk=pk)
    except Framework.DoesNotExist as exc:
        raise Http404("No such framework.") from exc


def _soa_status(request: HttpRequest) -> str:
    """The ``status`` filter of the Statement of Applicability; an unknown value shows every row."""
    raw = request.GET.get("status", "")
    return raw if raw in dict(selectors.SOA_STATUSES) else ""


@login_required
def soa(request: HttpRequest, pk: int) -> HttpResponse:
    framework = _framework(request, pk)
    status = _soa_status(request)
    rows = list(selectors.statement_of_applicability(framework, status))
    counts = selectors.soa_counts(framework)
    context = {
        "framework": framework,
        "rows": rows,
        "applicable": counts["covered"] + counts["uncovered"],
        "covered": counts["covered"],
        "status": status,
        "status_label": dict(selectors.SOA_STATUSES).get(status, ""),
        "statuses": [(key, label, counts[key]) for key, label in selectors.SOA_STATUSES],
        "total": sum(counts.values()),
        "generated_at": timezone.now(),
    }
    return render(request, "governance/controls/soa.html", context)


def soa_status(row: Any) -> str:
    if not row.applicable:
        return "Not applicable"
    if row.excepted_until is not None:
        return f"Excepted until {row.excepted_until.isoformat()}"
    return "Covered" if row.covered else "Not covered"


def _mapped(row: Any) -> str:
    parts = []
    for c in row.mapped_controls:
        latest = c.get_latest_test_result_display() or "not tested"
        parts.append(f"{c.ref} ({c.get_status_display()}, {latest})")
    return "; ".join(parts)


SOA_COLUMNS = (
    Column("Reference", lambda r: r.ref_id),
    Column("Citation", lambda r: r.reference),
    Column("Section", lambda r: r.parent.title if r.parent else ""),
    Column("Title", lambda r: r.title),
    Column("Applicable", lambda r: "Yes" if r.applicable else "No"),
    Column("Justification", lambda r: r.justification),
    Column("Exception until", lambda r: r.excepted_until or ""),
    Column("Controls", _mapped),
    Column("Covered", lambda r: "Yes" if r.covered else "No"),
    Column("Status", soa_status),
)


SOA_CSV = ListSpec(columns=SOA_COLUMNS)


@login_required
def soa_csv(request: HttpRequest, pk: int) -> HttpResponse:
    framework = _framework(request, pk)
    status = _soa_status(request)
    rows = selectors.statement_of_applicability(framework, status)
    suffix = f"-{status.replace('_', '-')}" if status else ""
    return csv_response(SOA_CSV, rows, {}, f"soa-{framework.key}{suffix}.csv")


# --- dashboard ---

EXPIRY_WINDOW_DAYS = 30
TOP_RISKS = 10


def _dashboard_exceptions(user: User) -> dict[str, Any] | None:
    if not user.has_perm("governance.view_complianceexception"):
        return None
    expiring = exception_selectors.expiring_within(user, EXPIRY_WINDOW_DAYS).select_related("requirement", "control")
    expired = exception_selectors.expired(user).select_related("requirement", "control")
    return {
        "expiring": list(expiring.order_by("expires_on", "pk")[:TOP_RISKS]),
        "expiring_count": expiring.count(),
        "expired": list(expired.order_by("-expires_on", "pk")[:TOP_RISKS]),
        "expired_count": expired.count(),
    }


def _dashboard_risks(user: User) -> dict[str, Any] | None:
    if not user.has_perm("governance.view_risk"):
        return None
    risks = (
        scoped(user, Risk.objects.select_related("owner"), "view")
        .filter(status=Risk.Status.OPEN)
        .order_by("-residual_score", "ref")[:TOP_RISKS]
    )
    return {"top": list(risks), "acceptances": acceptance_counts(user), "expiring_days": ACCEPTANCE_EXPIRING_DAYS}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _require(request, "governance.view_control")
    figures = selectors.control_figures(user)
    statuses = [(value, label, figures.by_status[value]) for value, label in Control.Status.choices]
    context = {
        "coverage": selectors.coverage_by_framework(user),
        "figures": figures,
        "statuses": statuses,
        "risks": _dashboard_risks(user),
        "exceptions": _dashboard_exceptions(user),
        "today": _today(),
        "window_days": EXPIRY_WINDOW_DAYS,
    }
    return render(request, "governance/dashboard.html", context)
