"""Compliance exception pages: list, request, decide (approve or reject), revoke."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError, SegregationOfDutiesError
from core.listing import Column, ListSpec, build_list, csv_response
from governance.filters import ExceptionFilterSet
from governance.forms.risks import (
    BulkOwnerForm,
    ExceptionDecisionForm,
    ExceptionRequestForm,
    ExceptionRevokeForm,
    add_service_errors,
)
from governance.models import ComplianceException
from governance.selectors import exceptions as selectors
from governance.services import exceptions as services
from governance.services import owners
from governance.views.risks import posted_data
from governance.views.scope import require_view

DECIDE = services.DECIDE


EXCEPTION_LIST = ListSpec(
    ExceptionFilterSet,
    columns=(
        Column("Title", lambda e: e.title),
        Column("Status", lambda e: e.get_status_display()),
        Column("Requirement", lambda e: selectors.requirement_label(e.requirement)),
        Column("Control", lambda e: e.control.ref if e.control else ""),
        Column("Requested by", lambda e: e.requested_by.email),
        Column("Owner", lambda e: e.owner.email if e.owner else ""),
        Column("Approver", lambda e: e.approver.email if e.approver else ""),
        Column("Decided at", lambda e: e.decided_at or ""),
        Column("Expires on", lambda e: e.expires_on),
        Column("Reason", lambda e: e.reason),
        Column("Compensating measures", lambda e: e.compensating_measures),
        Column("Decision note", lambda e: e.decision_note),
    ),
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _exception(request: HttpRequest, pk: int) -> ComplianceException:
    try:
        return selectors.exception_for(_user(request), pk)
    except ComplianceException.DoesNotExist as exc:
        raise Http404("No such exception.") from exc


@login_required
@require_view(ComplianceException)
def exception_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(EXCEPTION_LIST, selectors.exceptions_visible_to(user), request)
    context = {
        "listing": listing,
        "can_request": user.has_perm("governance.add_complianceexception"),
        "bulk_form": BulkOwnerForm() if user.has_perm(owners.EXCEPTIONS.perm) else None,
    }
    return render(request, "governance/exceptions/exception_list.html", context)


@login_required
@require_view(ComplianceException)
def exception_export(request: HttpRequest) -> HttpResponse:
    exceptions = selectors.exceptions_visible_to(_user(request))
    return csv_response(EXCEPTION_LIST, exceptions, request, "exceptions.csv")


@login_required
@require_view(ComplianceException)
def exception_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    exception = _exception(request, pk)
    requested = exception.status == ComplianceException.Status.REQUESTED
    context = {
        "exception": exception,
        "requirement_label": selectors.requirement_label(exception.requirement),
        "can_decide": requested and user.has_perm(DECIDE) and exception.requested_by_id != user.pk,
        "own_request": exception.requested_by_id == user.pk,
        "can_revoke": exception.status == ComplianceException.Status.APPROVED and user.has_perm(DECIDE),
        "revoke_form": ExceptionRevokeForm(),
    }
    return render(request, "governance/exceptions/exception_detail.html", context)


@login_required
@permission_required("governance.add_complianceexception", raise_exception=True)
def exception_request(request: HttpRequest) -> HttpResponse:
    initial = {key: request.GET.get(key, "") for key in ("requirement", "control")}
    form = ExceptionRequestForm(posted_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exception = services.request_exception(actor=_user(request), **data)
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The exception is requested; another person must decide it.")
            return redirect("governance:exception_detail", pk=exception.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/exceptions/exception_request.html", {"form": form}, status=status)


@login_required
@permission_required(DECIDE, raise_exception=True)
def exception_decide(request: HttpRequest, pk: int) -> HttpResponse:
    exception = _exception(request, pk)
    form = ExceptionDecisionForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.decide_exception(
                actor=_user(request), exception=exception, approve=approve, note=form.cleaned_data["note"]
            )
        except SegregationOfDutiesError as exc:
            raise PermissionDenied(str(exc)) from exc
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The exception is {'approved' if approve else 'rejected'}.")
            return redirect("governance:exception_detail", pk=exception.pk)
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "exception": exception,
        "requirement_label": selectors.requirement_label(exception.requirement),
        "own_request": exception.requested_by_id == _user(request).pk,
    }
    return render(request, "governance/exceptions/exception_decide.html", context, status=status)


@require_POST
@login_required
@permission_required(DECIDE, raise_exception=True)
def exception_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    exception = _exception(request, pk)
    form = ExceptionRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the exception is revoked.")
        return redirect("governance:exception_detail", pk=exception.pk)
    try:
        services.revoke_exception(actor=_user(request), exception=exception, note=form.cleaned_data["note"])
    except (DomainError, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, "The exception is revoked; what it covered counts again.")
    return redirect("governance:exception_detail", pk=exception.pk)
