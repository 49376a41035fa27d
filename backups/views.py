"""Pages of backups: plans (last and next run, size, duration, status, last drill), a plan's form,
sets and their verification, drills, and recipients (Administrators). Thin: each reads its input,
calls a selector or a service, and renders."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.models import User
from backups import selectors
from backups.filters import BackupSetFilterSet
from backups.forms import PlanForm, RecipientForm
from backups.models import BackupPlan, BackupRecipient
from backups.services import plans as plan_services
from backups.services import recipients as recipient_services
from backups.services.errors import BackupError
from backups.services.retention import apply_retention
from backups.services.runs import RUN_PERM, queue_backup_now
from core.errors import DomainError, NotFoundError
from core.listing import ListSpec, build_list

SET_LIST = ListSpec(BackupSetFilterSet, page_size=50)
DRILLS_PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require(request: HttpRequest, *perms: str) -> User:
    user = _user(request)
    if not all(user.has_perm(perm) for perm in perms):
        raise PermissionDenied
    return user


def _plan(request: HttpRequest, pk: int) -> BackupPlan:
    try:
        return selectors.plan_for(_user(request), pk)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user = _require(request, selectors.VIEW_PLAN)
    context = {
        "rows": selectors.plan_overview(user),
        "attention": selectors.attention_for(user),
        "recent_sets": list(selectors.sets_visible_to(user)[:10]) if user.has_perm(selectors.VIEW_SET) else [],
        "can_add": user.has_perm("backups.add_backupplan"),
        "can_run": user.has_perm(RUN_PERM),
        "can_see_recipients": user.has_perm(selectors.VIEW_RECIPIENT),
    }
    return render(request, "backups/overview.html", context)


def _plan_form(request: HttpRequest, plan: BackupPlan | None) -> HttpResponse:
    user = _user(request)
    form = PlanForm(request.POST or None, instance=plan)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in plan_services.PLAN_FIELDS}
            recipients = list(form.cleaned_data["recipients"])
            try:
                if plan is None:
                    saved = plan_services.create_plan(actor=user, recipients=recipients, **fields)
                else:
                    saved = plan_services.update_plan(actor=user, plan=plan, recipients=recipients, **fields)
            except ValidationError as exc:
                _form_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Plan {saved.name} saved; the scheduler follows its schedule from now.")
                return redirect("backups:plan_detail", pk=saved.pk)
        status = 400
    return render(request, "backups/plan_form.html", {"form": form, "plan": plan}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest) -> HttpResponse:
    _require(request, "backups.add_backupplan")
    return _plan_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "backups.change_backupplan")
    return _plan_form(request, _plan(request, pk))


@login_required
@require_GET
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require(request, selectors.VIEW_PLAN, selectors.VIEW_SET)
    plan = _plan(request, pk)
    row = next((r for r in selectors.plan_overview(user) if r.plan.pk == plan.pk), None)
    sets = selectors.sets_visible_to(user).filter(plan=plan)
    context = {
        "plan": plan,
        "row": row,
        "page": Paginator(sets, 20).get_page(request.GET.get("page")),
        "can_run": user.has_perm(RUN_PERM),
        "can_change": user.has_perm("backups.change_backupplan"),
        "can_delete": user.has_perm("backups.delete_backupplan"),
    }
    return render(request, "backups/plan_detail.html", context)


@login_required
@require_POST
def plan_run(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require(request, RUN_PERM)
    plan = _plan(request, pk)
    try:
        run = queue_backup_now(actor=user, plan=plan)
    except DomainError as exc:
        messages.warning(request, str(exc))
        return redirect("backups:plan_detail", pk=plan.pk)
    return redirect("jobs:task_progress", run_id=run.pk)


@login_required
@require_POST
def plan_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require(request, "backups.delete_backupplan")
    plan = _plan(request, pk)
    plan_services.delete_plan(actor=user, plan=plan)
    messages.success(request, f"Plan {plan.name} deleted; its sets stay in the destination and the history.")
    return redirect("backups:overview")


@login_required
@require_GET
def plan_retention(request: HttpRequest, pk: int) -> HttpResponse:
    """A dry run of the retention: which sets would go, and why the others stay."""
    user = _require(request, selectors.VIEW_PLAN, selectors.VIEW_SET)
    plan = _plan(request, pk)
    try:
        report, error = apply_retention(plan=plan, actor=user, dry_run=True), ""
    except BackupError as exc:
        report, error = None, str(exc)
    return render(request, "backups/plan_retention.html", {"plan": plan, "report": report, "error": error})


@login_required
@require_GET
def set_list(request: HttpRequest) -> HttpResponse:
    user = _require(request, selectors.VIEW_SET)
    listing = build_list(SET_LIST, selectors.sets_visible_to(user), request)
    return render(request, "backups/set_list.html", {"listing": listing})


@login_required
@require_GET
def set_detail(request: HttpRequest, set_id: str) -> HttpResponse:
    user = _require(request, selectors.VIEW_SET)
    try:
        backup_set = selectors.set_for(user, set_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    drills = backup_set.drills.order_by("-started_at")[:10] if user.has_perm(selectors.VIEW_DRILL) else []
    return render(request, "backups/set_detail.html", {"set": backup_set, "drills": drills})


@login_required
@require_GET
def drill_list(request: HttpRequest) -> HttpResponse:
    user = _require(request, selectors.VIEW_DRILL)
    page = Paginator(selectors.drills_visible_to(user), DRILLS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "backups/drill_list.html", {"page": page})


@login_required
@require_GET
def recipient_list(request: HttpRequest) -> HttpResponse:
    user = _require(request, selectors.VIEW_RECIPIENT)
    context = {
        "recipients": selectors.recipients_visible_to(user),
        "can_add": user.has_perm("backups.add_backuprecipient"),
        "can_delete": user.has_perm("backups.delete_backuprecipient"),
    }
    return render(request, "backups/recipient_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def recipient_add(request: HttpRequest) -> HttpResponse:
    user = _require(request, "backups.add_backuprecipient")
    form = RecipientForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                recipient = recipient_services.add_recipient(
                    actor=user, name=form.cleaned_data["name"], public_key=form.cleaned_data["public_key"]
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"Recipient {recipient.name} added; new sets are encrypted to it.")
                return redirect("backups:recipient_list")
        status = 400
    return render(request, "backups/recipient_form.html", {"form": form}, status=status)


@login_required
@require_POST
def recipient_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require(request, "backups.delete_backuprecipient")
    recipient = BackupRecipient.objects.filter(pk=pk).first()
    if recipient is None:
        raise Http404("There is no such recipient.")
    recipient_services.remove_recipient(actor=user, recipient=recipient)
    messages.success(request, f"Recipient {recipient.name} removed; sets made before stay readable with its key.")
    return redirect("backups:recipient_list")
