"""The reviews dashboard, the accounts of systems, their import, and segregation-of-duties rules."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from access.models import User
from core.errors import DomainError
from core.listing import Column, ListSpec, build_list, csv_response
from core.pickers import picker_search
from reviews import selectors
from reviews.filters import AccountFilterSet
from reviews.forms import CoverForm, ImportForm, SodRuleForm
from reviews.models import ReviewCampaign, SodRule, SystemAccountImport
from reviews.pickers import EXCEPTIONS, may_cover
from reviews.report import finding_counts
from reviews.services.imports import AccountImportError, import_accounts
from reviews.services.sod import add_sod_rule, cover_violation

VIEW = selectors.VIEW

ACCOUNT_LIST = ListSpec(
    AccountFilterSet,
    columns=(
        Column("System", lambda a: a.asset.name),
        Column("Account", lambda a: a.account),
        Column("Email", lambda a: a.email),
        Column("Entitlements", lambda a: ";".join(a.entitlements)),
        Column("Last sign-in", lambda a: a.last_sign_in.isoformat() if a.last_sign_in else ""),
        Column("Status", lambda a: a.status),
        Column("Person", lambda a: a.user.email if a.user else ""),
        Column("Person active", lambda a: "" if a.user is None else ("yes" if a.user.is_active else "no")),
    ),
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    snapshots = SystemAccountImport.objects.filter(is_current=True).select_related("asset", "imported_by")
    context = {
        "counts": finding_counts(),
        "snapshots": snapshots.order_by("asset__name"),
        "open_campaigns": selectors.campaigns_visible_to(user).filter(status=ReviewCampaign.Status.OPEN)[:20],
        "removals": selectors.open_removals().count(),
        "can_import": user.has_perm("reviews.add_systemaccountimport"),
        "can_start": user.has_perm("reviews.add_reviewcampaign"),
        "days": selectors.DEFAULT_DORMANT_DAYS,
    }
    return render(request, "reviews/dashboard.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def account_list(request: HttpRequest) -> HttpResponse:
    listing = build_list(ACCOUNT_LIST, selectors.accounts_visible_to(_user(request)), request)
    return render(request, "reviews/account_list.html", {"listing": listing})


@login_required
@permission_required(VIEW, raise_exception=True)
def account_export(request: HttpRequest) -> HttpResponse:
    return csv_response(ACCOUNT_LIST, selectors.accounts_visible_to(_user(request)), request, "accounts.csv")


@login_required
@permission_required("reviews.add_systemaccountimport", raise_exception=True)
def import_page(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            snapshot = import_accounts(
                actor=_user(request), system=form.cleaned_data["system"], data=upload.read(), file_name=upload.name
            )
        except AccountImportError as exc:
            problems = exc.problems
            form.add_error("file", f"Nothing was imported: {len(problems)} problem(s) in the file, listed below.")
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Imported {snapshot.row_count} accounts into {snapshot.asset.name}.")
            return redirect("reviews:dashboard")
    status = 400 if form.errors else 200
    return render(request, "reviews/import.html", {"form": form, "problems": problems[:200]}, status=status)


@login_required
@permission_required("reviews.view_sodrule", raise_exception=True)
def sod_page(request: HttpRequest) -> HttpResponse:
    return _sod(request)


def _sod(request: HttpRequest, *, cover_form: CoverForm | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    violations = selectors.sod_violations()
    if cover_form is None and may_cover(user):
        cover_form = CoverForm(violations=violations)
    context = {
        "rules": SodRule.objects.order_by("name"),
        "violations": violations,
        "form": SodRuleForm() if user.has_perm("reviews.add_sodrule") else None,
        "cover_form": cover_form,
    }
    return render(request, "reviews/sod.html", context, status=status)


@require_POST
@login_required
def sod_cover(request: HttpRequest) -> HttpResponse:
    """Link an exception in force to a current violation; a wrong field is shown on the form (400)."""
    user = _user(request)
    if not may_cover(user):
        raise PermissionDenied("Only Administrators and IT administrators cover violations with exceptions.")
    form = CoverForm(request.POST, violations=selectors.sod_violations())
    if form.is_valid():
        rule_pk, _, person_pk = form.cleaned_data["violation"].partition(":")
        try:
            link = cover_violation(
                actor=user,
                rule=SodRule.objects.get(pk=rule_pk),
                person=User.objects.get(pk=person_pk),
                exception=form.cleaned_data["exception"],
            )
        except DomainError as exc:
            form.add_error("exception", str(exc))
        else:
            messages.success(request, f"The violation is covered by “{link.exception.title}” until it expires.")
            return redirect("reviews:sod")
    return _sod(request, cover_form=form, status=400)


@require_POST
@login_required
@permission_required("reviews.add_sodrule", raise_exception=True)
def sod_add(request: HttpRequest) -> HttpResponse:
    form = SodRuleForm(request.POST)
    if form.is_valid():
        try:
            rule = add_sod_rule(actor=_user(request), **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Rule {rule.name} added.")
            return redirect("reviews:sod")
    else:
        messages.error(request, "Give a name and both entitlements as SYSTEM:ENTITLEMENT.")
    return redirect("reviews:sod")


@require_GET
@login_required
def exception_search(request: HttpRequest) -> HttpResponse:
    """The exception picker's search (htmx): exceptions in force, for those who may cover violations."""
    if not may_cover(_user(request)):
        raise PermissionDenied("You may not look exceptions up here.")
    return picker_search(request, EXCEPTIONS, request.user)
