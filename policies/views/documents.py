"""Policy pages: the list (filters, CSV), one policy with its versions and rates, a version, a diff,
the forms, the workflow buttons, and "Policies to read" with its acknowledge button.

Who may: ``policies.view_policy`` reads (managers every policy; everyone else the published policies
addressed to them, see ``policies.selectors.documents``); ``add_policy``/``change_policy`` write;
``change_policyversion`` edits drafts and sends them to review; ``approve_policyversion`` approves
(never one's own) or sends back; ``publish_policyversion`` publishes and retires;
``acknowledge_policy`` acknowledges. Refusals of the workflow come back as messages on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.forms import add_service_errors
from core.listing import Column, ListSpec, build_list, csv_response, csv_rows_response
from policies.documents.diff import diff_lines
from policies.documents.rendering import render_markdown
from policies.filters import PolicyFilterSet
from policies.models import Policy, PolicyVersion
from policies.selectors import documents as selectors
from policies.services import documents as services
from policies.services.policy_library import load_policy_library
from policies.services.policy_reminders import send_reminders
from policies.views.document_forms import DraftForm, NewPolicyForm, PolicyForm, SendBackForm

VIEW = "policies.view_policy"


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


POLICY_LIST = ListSpec(
    PolicyFilterSet,
    columns=(
        Column("Title", lambda p: p.title),
        Column("Owner", lambda p: p.owner.email if p.owner else ""),
        Column("Published version", lambda p: p.published_number or ""),
        Column("Published at", lambda p: _iso(p.published_at)),
        Column("Version in progress", lambda p: p.open_status or ""),
        Column("Review every (months)", lambda p: p.review_cycle_months),
        Column("Next review due", lambda p: _iso(p.next_review_due)),
        Column("Review overdue", lambda p: "yes" if p.is_review_overdue() else "no"),
        Column("Audience", lambda p: getattr(p, "audience_count", "")),
        Column("Acknowledged", lambda p: getattr(p, "acknowledged_count", "")),
        Column(
            "Acknowledged (%)",
            lambda p: selectors.rate(getattr(p, "acknowledged_count", 0), getattr(p, "audience_count", 0)) or "",
        ),
    ),
)
ACK_COLUMNS = (
    Column("Policy", lambda a: a.version.policy.title),
    Column("Version", lambda a: a.version.number),
    Column("Person", lambda a: a.user.email),
    Column("Name", lambda a: a.user.full_name),
    Column("Acknowledged at", lambda a: _iso(a.acknowledged_at)),
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _policy(request: HttpRequest, pk: int) -> Policy:
    try:
        return selectors.policy_for(_user(request), pk)
    except Policy.DoesNotExist as exc:
        raise Http404("No such policy.") from exc


def _version(request: HttpRequest, policy: Policy, number: int) -> PolicyVersion:
    try:
        return selectors.version_for(_user(request), policy, number)
    except PolicyVersion.DoesNotExist as exc:
        raise Http404("No such version.") from exc


@login_required
@permission_required(VIEW, raise_exception=True)
def policy_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(POLICY_LIST, selectors.policies_visible_to(user), request)
    for policy in listing.page.object_list:
        policy.rate = selectors.rate(getattr(policy, "acknowledged_count", 0), getattr(policy, "audience_count", 0))
    context = {
        "listing": listing,
        "manager": selectors.may_manage(user),
        "can_add": user.has_perm(services.ADD),
        "to_read_count": selectors.to_acknowledge(user).count(),
    }
    return render(request, "policies/documents/policy_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def policy_export(request: HttpRequest) -> HttpResponse:
    return csv_response(POLICY_LIST, selectors.policies_visible_to(_user(request)), request, "policies.csv")


@login_required
@permission_required(VIEW, raise_exception=True)
def to_read(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "pending": selectors.to_acknowledge(user),
        "done": selectors.acknowledged_by(user)[:50],
        "can_acknowledge": user.has_perm(services.ACKNOWLEDGE),
    }
    return render(request, "policies/documents/to_read.html", context)


def _detail_context(user: User, policy: Policy) -> dict[str, Any]:
    manager = selectors.may_manage(user)
    versions = list(selectors.versions_with_rates(policy) if manager else selectors.versions_of(user, policy))
    published = next((v for v in versions if v.status == PolicyVersion.Status.PUBLISHED), None)
    open_version = next((v for v in versions if v.status in PolicyVersion.OPEN), None)
    for version in versions:
        rate = selectors.rate(getattr(version, "ack_in_audience", 0), getattr(policy, "audience_count", 0))
        setattr(version, "rate", rate)  # noqa: B010 - shown by the template
    mine = None
    if published is not None:
        mine = published.acknowledgements.filter(user=user).first()
    return {
        "policy": policy,
        "manager": manager,
        "versions": versions,
        "published": published,
        "published_html": render_markdown(published.body) if published else "",
        "open_version": open_version,
        "my_acknowledgement": mine,
        "addressed": selectors.is_addressed(user, policy),
        "may_acknowledge": user.has_perm(services.ACKNOWLEDGE),
        "may_write": services.may(user, services.WRITE_VERSION, policy),
        "may_change": services.may(user, services.CHANGE, policy),
        "may_publish": services.may(user, services.PUBLISH, policy),
        "audience_roles": list(policy.audience_roles.order_by("name")) if manager else [],
        "audience_people": list(policy.audience_people.order_by("email")) if manager else [],
        "controls": list(policy.controls.order_by("ref")) if manager else [],
        "requirements": list(policy.requirements.select_related("framework").order_by("framework__name", "order"))
        if manager
        else [],
        "rate": selectors.rate(getattr(policy, "acknowledged_count", 0), getattr(policy, "audience_count", 0)),
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return render(request, "policies/documents/policy_detail.html", _detail_context(user, _policy(request, pk)))


@login_required
@permission_required(VIEW, raise_exception=True)
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = _user(request)
    policy = _policy(request, pk)
    version = _version(request, policy, number)
    manager = selectors.may_manage(user)
    context = {
        "policy": policy,
        "version": version,
        "html": render_markdown(version.body),
        "manager": manager,
        "previous": selectors.versions_of(user, policy).filter(number__lt=number).order_by("-number").first(),
        "may_write": services.may(user, services.WRITE_VERSION, policy),
        "may_approve": services.may(user, services.APPROVE, policy),
        "may_publish": services.may(user, services.PUBLISH, policy),
        "send_back_form": SendBackForm(),
        "acknowledgements": selectors.acknowledgements_of(version)[:200] if manager else [],
        "missing": selectors.not_acknowledged(version)[:200]
        if manager and version.status == PolicyVersion.Status.PUBLISHED
        else [],
    }
    return render(request, "policies/documents/version_detail.html", context)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
def acknowledgement_export(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = _user(request)
    if not selectors.may_manage(user):
        raise Http404("No such version.")
    version = _version(request, _policy(request, pk), number)
    rows = selectors.acknowledgements_of(version).select_related("version__policy")
    return csv_rows_response(ACK_COLUMNS, rows.iterator(), f"acknowledgements-{pk}-v{number}.csv")


@login_required
@permission_required(VIEW, raise_exception=True)
def version_diff(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = _user(request)
    policy = _policy(request, pk)
    if not selectors.may_manage(user):
        raise Http404("No such version.")
    new = _version(request, policy, number)
    against = request.GET.get("against", "")
    if against and not against.isdigit():
        messages.error(request, "'against' must be a version number, e.g. ?against=1.")
        return redirect("policies:version_detail", pk=pk, number=number)
    versions = selectors.versions_of(user, policy)
    old = (
        versions.filter(number=int(against)).first()
        if against
        else versions.filter(number__lt=number).order_by("-number").first()
    )
    if old is None:
        messages.info(request, "There is no earlier version to compare with." if not against else "No such version.")
        return redirect("policies:version_detail", pk=pk, number=number)
    context = {
        "policy": policy,
        "old": old,
        "new": new,
        "diff": diff_lines(old.body, new.body),
        "others": versions.exclude(number=number),
    }
    return render(request, "policies/documents/version_diff.html", context)


@login_required
@permission_required(services.ADD, raise_exception=True)
def policy_create(request: HttpRequest) -> HttpResponse:
    form = NewPolicyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            policy = services.create_policy(
                actor=_user(request),
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                change_note=data["change_note"],
                owner=data["owner"],
                review_cycle_months=data["review_cycle_months"],
                audience_roles=data["audience_roles"],
                audience_people=data["audience_people"],
                controls=data["controls"],
                requirements=data["requirements"],
            )
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{policy.title} is created; version 1 is a draft.")
            return redirect("policies:policy_detail", pk=policy.pk)
    status = 400 if form.errors else 200
    return render(request, "policies/documents/policy_form.html", {"form": form, "policy": None}, status=status)


@login_required
@permission_required(services.CHANGE, raise_exception=True)
def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=PolicyForm.initial_from(policy))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_policy(actor=_user(request), policy=policy, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The policy is saved.")
            return redirect("policies:policy_detail", pk=policy.pk)
    status = 400 if form.errors else 200
    return render(request, "policies/documents/policy_form.html", {"form": form, "policy": policy}, status=status)


@login_required
@permission_required(services.WRITE_VERSION, raise_exception=True)
def draft_edit(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    policy = _policy(request, pk)
    version = _version(request, policy, number)
    if version.status != PolicyVersion.Status.DRAFT:
        messages.error(request, f"Version {number} is {version.get_status_display().lower()}: only a draft is edited.")
        return redirect("policies:version_detail", pk=pk, number=number)
    initial = {"body": version.body, "change_note": version.change_note}
    form = DraftForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_draft(actor=_user(request), version=version, **form.cleaned_data)
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"The draft of version {number} is saved.")
            return redirect("policies:version_detail", pk=pk, number=number)
    context = {"form": form, "policy": policy, "version": version}
    return render(request, "policies/documents/draft_form.html", context, status=400 if form.errors else 200)


def _run(request: HttpRequest, action: Callable[[], Any], done: str) -> None:
    try:
        action()
    except (DomainError, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        messages.success(request, done)


def _version_action(name: str, perm: str) -> Callable[..., HttpResponse]:
    @require_POST
    @login_required
    @permission_required(perm, raise_exception=True)
    def view(request: HttpRequest, pk: int, number: int) -> HttpResponse:
        user = _user(request)
        version = _version(request, _policy(request, pk), number)
        if name == "submit":
            _run(request, lambda: services.submit_for_review(actor=user, version=version), "Sent for review.")
        elif name == "send_back":
            form = SendBackForm(request.POST)
            note = form.cleaned_data["note"] if form.is_valid() else ""
            _run(request, lambda: services.return_to_draft(actor=user, version=version, note=note), "Sent back.")
        elif name == "approve":
            _run(request, lambda: services.approve_version(actor=user, version=version), "Approved.")
        elif name == "publish":
            done = f"Version {number} is published; its audience is asked to acknowledge it."
            _run(request, lambda: services.publish_version(actor=user, version=version), done)
        return redirect("policies:version_detail", pk=pk, number=number)

    view.__name__ = f"version_{name}"
    return view


version_submit = _version_action("submit", services.WRITE_VERSION)
version_send_back = _version_action("send_back", services.APPROVE)
version_approve = _version_action("approve", services.APPROVE)
version_publish = _version_action("publish", services.PUBLISH)


@require_POST
@login_required
@permission_required(services.WRITE_VERSION, raise_exception=True)
def new_draft(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    try:
        draft = services.start_new_draft(actor=_user(request), policy=policy)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("policies:policy_detail", pk=pk)
    messages.success(request, f"Version {draft.number} is a new draft, starting from the current text.")
    return redirect("policies:draft_edit", pk=pk, number=draft.number)


@require_POST
@login_required
@permission_required(services.PUBLISH, raise_exception=True)
def policy_retire(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    _run(request, lambda: services.retire_policy(actor=_user(request), policy=policy), "The policy is retired.")
    return redirect("policies:policy_detail", pk=pk)


@require_POST
@login_required
@permission_required(services.CHANGE, raise_exception=True)
def policy_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    _run(request, lambda: services.mark_reviewed(actor=_user(request), policy=policy), "Marked as reviewed.")
    return redirect("policies:policy_detail", pk=pk)


@require_POST
@login_required
@permission_required(services.CHANGE, raise_exception=True)
def policy_remind(request: HttpRequest, pk: int) -> HttpResponse:
    policy = _policy(request, pk)
    try:
        sent = send_reminders(actor=_user(request), policy=policy)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, sent.summary())
    return redirect("policies:policy_detail", pk=pk)


@require_POST
@login_required
@permission_required(services.ACKNOWLEDGE, raise_exception=True)
def acknowledge(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = _user(request)
    policy = _policy(request, pk)
    version = _version(request, policy, number)
    try:
        services.acknowledge(actor=user, version=version)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("policies:policy_detail", pk=pk)
    messages.success(request, f"Thank you: you acknowledged {policy.title} (version {number}).")
    return redirect("policies:to_read")


@require_POST
@login_required
@permission_required(services.ADD, raise_exception=True)
def library_load(request: HttpRequest) -> HttpResponse:
    try:
        report = load_policy_library(actor=_user(request))
    except (DomainError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, report.summary())
    return redirect("policies:policy_list")
