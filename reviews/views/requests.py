"""Access requests: ask for a role or a permission on one control or risk for a while, decide
others' requests, break glass, review it."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.models import Role, User
from core.errors import DomainError
from reviews import requests_selectors as selectors
from reviews.models import AccessRequest
from reviews.requests_selectors import with_object_labels
from reviews.services import requests as services

ROLE_CHOICES = [(r, r) for r in Role.values]


class RequestForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    hours = forms.IntegerField(min_value=1, max_value=services.MAX_HOURS, initial=8, label="For how many hours")


class BreakGlassForm(RequestForm):
    hours = forms.IntegerField(min_value=1, max_value=services.BREAK_GLASS_MAX_HOURS, initial=4)


class ObjectRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k.capitalize()) for k in services.REQUESTABLE], label="On a")
    ref = forms.CharField(max_length=50, label="Reference", help_text="Its reference, e.g. CTL-001.")
    action = forms.ChoiceField(choices=[("view", "View it"), ("change", "Change it")], label="To")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    hours = forms.IntegerField(min_value=1, max_value=services.MAX_HOURS, initial=8, label="For how many hours")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(request: HttpRequest, *, object_form: ObjectRequestForm | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    context = {
        "form": RequestForm(),
        "object_form": object_form or ObjectRequestForm(prefix="obj"),
        "glass_form": BreakGlassForm(prefix="glass"),
        "mine": with_object_labels(selectors.own_requests(user)[:50]),
        "pending": with_object_labels(selectors.pending_for(user)[:100]),
        "to_review": with_object_labels(selectors.break_glass_to_review(user)[:100]),
    }
    return render(request, "reviews/access_requests.html", context, status=status)


@login_required
def access_requests(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@login_required
def request_object_create(request: HttpRequest) -> HttpResponse:
    """Ask for a permission on one control or risk; a bad field is shown on the form (400)."""
    form = ObjectRequestForm(request.POST, prefix="obj")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.request_object_access(
                actor=_user(request),
                kind=data["kind"],
                ref=data["ref"],
                action=data["action"],
                reason=data["reason"],
                hours=data["hours"],
            )
        except services.RequestInputError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your request is waiting for an approver.")
            return redirect("reviews:access_requests")
    return _page(request, object_form=form, status=400)


@require_POST
@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role, say why, and for how many hours.")
        return redirect("reviews:access_requests")
    data = form.cleaned_data
    try:
        services.request_access(actor=_user(request), role=data["role"], reason=data["reason"], hours=data["hours"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your request is waiting for an approver.")
    return redirect("reviews:access_requests")


@require_POST
@login_required
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = get_object_or_404(AccessRequest, pk=pk)
    try:
        services.decide_access_request(
            actor=_user(request),
            request=access_request,
            approve=request.POST.get("decision") == "grant",
            note=request.POST.get("note", "")[:2000],
        )
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, "Decided.")
    return redirect("reviews:access_requests")


@require_POST
@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    form = BreakGlassForm(request.POST, prefix="glass")
    if not form.is_valid():
        messages.error(request, "Choose a role, say why, and for how many hours (24 at most).")
        return redirect("reviews:access_requests")
    data = form.cleaned_data
    try:
        services.break_glass(actor=_user(request), role=data["role"], reason=data["reason"], hours=data["hours"])
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.warning(request, f"You hold the role {data['role']} now. Administrators were alerted.")
    return redirect("reviews:access_requests")


@require_POST
@login_required
def break_glass_review(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = get_object_or_404(AccessRequest, pk=pk)
    try:
        services.review_break_glass(actor=_user(request), request=access_request, note=request.POST.get("note", ""))
    except DomainError as exc:
        return _refused(request, exc)
    messages.success(request, "Reviewed.")
    return redirect("reviews:access_requests")


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if exc.status_code == 403:
        return HttpResponse(str(exc), status=403, content_type="text/plain; charset=utf-8")
    messages.error(request, str(exc))
    return redirect("reviews:access_requests")
