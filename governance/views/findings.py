"""Finding pages: list, raise, edit, close and reopen."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.listing import Column, ListSpec, build_list, csv_response
from governance.filters import FindingFilterSet
from governance.forms.risks import BulkOwnerForm, FindingForm, add_service_errors
from governance.models import Finding
from governance.selectors import findings as selectors
from governance.selectors.exceptions import requirement_label
from governance.services import findings as services
from governance.services import owners
from governance.views.risks import posted_data

VIEW = "governance.view_finding"
CHANGE = services.CHANGE_FINDING


FINDING_LIST = ListSpec(
    FindingFilterSet,
    columns=(
        Column("Title", lambda f: f.title),
        Column("Severity", lambda f: f.get_severity_display()),
        Column("Status", lambda f: f.get_status_display()),
        Column("Control", lambda f: f.control.ref if f.control else ""),
        Column("Requirement", lambda f: requirement_label(f.requirement)),
        Column("Risk", lambda f: f.risk.ref if f.risk else ""),
        Column("Owner", lambda f: f.owner.email if f.owner else ""),
        Column("Raised by", lambda f: f.raised_by.email if f.raised_by else ""),
        Column("Due date", lambda f: f.due_date or ""),
        Column("Closed at", lambda f: f.closed_at or ""),
        Column("Description", lambda f: f.description),
    ),
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _finding(request: HttpRequest, pk: int) -> Finding:
    try:
        return selectors.finding_for(_user(request), pk)
    except Finding.DoesNotExist as exc:
        raise Http404("No such finding.") from exc


@login_required
@permission_required(VIEW, raise_exception=True)
def finding_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(FINDING_LIST, selectors.findings_visible_to(user), request)
    context = {
        "listing": listing,
        "can_add": user.has_perm("governance.add_finding"),
        "bulk_form": BulkOwnerForm() if user.has_perm(owners.FINDINGS.perm) else None,
    }
    return render(request, "governance/findings/finding_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def finding_export(request: HttpRequest) -> HttpResponse:
    findings = selectors.findings_visible_to(_user(request))
    return csv_response(FINDING_LIST, findings, request, "findings.csv")


@login_required
@permission_required(VIEW, raise_exception=True)
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    context = {
        "finding": finding,
        "requirement_label": requirement_label(finding.requirement),
        "can_change": _user(request).has_perm(CHANGE),
    }
    return render(request, "governance/findings/finding_detail.html", context)


def _data(form: FindingForm, finding: Finding | None = None) -> services.FindingData:
    data: dict[str, Any] = dict(form.cleaned_data)
    if finding is None:
        return services.FindingData(**data)
    # Keeps what the form does not show (the control test it came from).
    return services.FindingData.from_finding(finding).updated(**data)


@login_required
@permission_required("governance.add_finding", raise_exception=True)
def finding_create(request: HttpRequest) -> HttpResponse:
    initial = {key: request.GET.get(key, "") for key in ("control", "risk", "requirement")}
    form = FindingForm(posted_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.create_finding(actor=_user(request), data=_data(form))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The finding is recorded.")
            return redirect("governance:finding_detail", pk=finding.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/findings/finding_form.html", {"form": form, "finding": None}, status=status)


@login_required
@permission_required(CHANGE, raise_exception=True)
def finding_edit(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    if finding.status == Finding.Status.CLOSED:
        messages.info(request, "This finding is closed; reopen it to change it.")
        return redirect("governance:finding_detail", pk=finding.pk)
    form = FindingForm(posted_data(request), initial=FindingForm.initial_for(finding))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_finding(actor=_user(request), finding=finding, data=_data(form, finding))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The finding is saved.")
            return redirect("governance:finding_detail", pk=finding.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/findings/finding_form.html", {"form": form, "finding": finding}, status=status)


def _status(request: HttpRequest, pk: int, *, close: bool) -> HttpResponse:
    finding = _finding(request, pk)
    try:
        if close:
            services.close_finding(actor=_user(request), finding=finding)
            messages.success(request, "The finding is closed.")
        else:
            services.reopen_finding(actor=_user(request), finding=finding)
            messages.success(request, "The finding is open again.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("governance:finding_detail", pk=finding.pk)


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def finding_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _status(request, pk, close=True)


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def finding_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _status(request, pk, close=False)
