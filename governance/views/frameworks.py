"""Framework and requirement pages: lists, tree, detail, imports and applicability.

Views parse the request, call a selector or a service and render; rules live in
``governance.services.frameworks``. Domain and validation errors become form errors.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.listing import Column, ListSpec, build_list, csv_response
from governance.filters import FrameworkFilterSet, RequirementFilterSet
from governance.forms.risks import BulkOwnerForm
from governance.importers import FORMATS
from governance.models import Framework, Requirement
from governance.selectors import frameworks as selectors
from governance.selectors.pickers import people_masked
from governance.services import framework_imports, owners
from governance.services import frameworks as services
from governance.views.scope import require_view

ADD_FRAMEWORK = "governance.add_framework"
CHANGE_REQUIREMENT = "governance.change_requirement"
TREE_PAGE_SIZE = 200
BULK_MAX = 500
YES_NO = (("yes", "Yes"), ("no", "No"))


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _yes(value: str) -> bool:
    return value == "yes"


# --- Forms ---


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Framework file",
        help_text="Rampart YAML (.yaml), Rampart CSV (.csv) or an OSCAL catalog (.json). At most 20 MB.",
    )
    fmt = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the file"), *FORMATS.items()],
        help_text="Leave on 'Detect' unless the file has an unusual name.",
    )
    allow_older = forms.BooleanField(
        label="Replace a newer version",
        required=False,
        help_text=(
            "An older version of an imported framework is refused unless you tick this: importing it marks "
            "the requirements only the newer version has as removed."
        ),
    )

    def clean(self) -> dict[str, Any]:
        """File present, not empty, not too large, of a known format (before anything is kept)."""
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            try:
                framework_imports.check_upload(size=upload.size or 0, filename=upload.name or "", fmt=data.get("fmt"))
            except ValidationError as exc:
                _apply_errors(self, exc)
        return data


class ApplicabilityForm(forms.Form):
    applicable = forms.TypedChoiceField(
        label="Does this requirement apply?",
        choices=(("yes", "Yes, it applies"), ("no", "No, it does not apply")),
        coerce=_yes,
        widget=forms.RadioSelect,
    )
    justification = forms.CharField(
        label="Justification",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the requirement does not apply: say why.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("applicable") is False and not (data.get("justification") or "").strip():
            self.add_error("justification", "Say why this requirement does not apply.")
        return data


class BulkApplicabilityForm(ApplicabilityForm):
    ids = forms.TypedMultipleChoiceField(label="Requirements", coerce=int, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw if str(v).isdigit()][:BULK_MAX]  # type: ignore[attr-defined]
        self.fields["ids"].error_messages["required"] = "Select at least one requirement."


FIELD_ALIASES = {"format": "fmt"}  # service field names that the upload form calls otherwise


def _apply_errors(form: forms.Form, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            name = FIELD_ALIASES.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, str(exc))


# --- Frameworks ---


FRAMEWORK_COLUMNS = (
    Column("key", lambda f: f.key),
    Column("name", lambda f: f.name),
    Column("version", lambda f: f.version),
    Column("publisher", lambda f: f.publisher),
    Column("source", lambda f: f.get_source_display()),
    Column("requirements", lambda f: f.requirement_count),
    Column("applicable", lambda f: f.applicable_count),
    Column("removed", lambda f: f.removed_count),
    Column("imported_at", lambda f: f.imported_at.isoformat() if f.imported_at else ""),
    Column("imported_by", lambda f: f.imported_by.email if f.imported_by else ""),
    Column("owner", lambda f: f.owner.email if f.owner else ""),
)

FRAMEWORK_LIST = ListSpec(FrameworkFilterSet, columns=FRAMEWORK_COLUMNS)


@login_required
@require_view(Framework)
def framework_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queryset = selectors.frameworks_visible_to(user=user)
    listing = build_list(FRAMEWORK_LIST, queryset, request)
    context = {"listing": listing, "bulk_form": BulkOwnerForm() if user.has_perm(owners.FRAMEWORKS.perm) else None}
    return render(request, "governance/frameworks/framework_list.html", context)


@login_required
@require_view(Framework)
def framework_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queryset = selectors.frameworks_visible_to(user=user)
    # Who imported and who owns are named only to those who may see users.
    people = {"imported_by": lambda f: f.imported_by, "owner": lambda f: f.owner}
    spec = replace(FRAMEWORK_LIST, columns=people_masked(FRAMEWORK_LIST.columns, user, people))
    return csv_response(spec, queryset, request, "frameworks.csv")


@login_required
@require_view(Framework)
def framework_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        framework = selectors.framework_for(user=user, pk=pk)
    except Framework.DoesNotExist as exc:
        raise Http404("No such framework.") from exc
    tree = selectors.requirement_tree(user=user, framework=framework)
    page = Paginator(tree, TREE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/frameworks/framework_detail.html", {"framework": framework, "page": page})


@login_required
@permission_required(ADD_FRAMEWORK, raise_exception=True)
def framework_import(request: HttpRequest) -> HttpResponse:
    """Check the upload here, queue the import, and send the person to its progress page."""
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = framework_imports.queue_framework_import(
                actor=_user(request),
                data=upload.read(),
                filename=upload.name or "",
                fmt=form.cleaned_data["fmt"] or None,
                allow_older=form.cleaned_data["allow_older"],
            )
        except (ValidationError, DomainError) as exc:
            _apply_errors(form, exc)
            status = getattr(exc, "status_code", 400)
        else:
            return redirect("jobs:task_progress", run_id=run.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "governance/frameworks/framework_import.html", {"form": form}, status=status)


# --- Requirements ---


REQUIREMENT_COLUMNS = (
    Column("framework", lambda r: r.framework.key),
    Column("ref_id", lambda r: r.ref_id),
    Column("parent_ref_id", lambda r: r.parent.ref_id if r.parent else ""),
    Column("reference", lambda r: r.reference),
    Column("title", lambda r: r.title),
    Column("text", lambda r: r.text),
    Column("is_section", lambda r: "yes" if r.is_section else "no"),
    Column("applicable", lambda r: "yes" if r.applicable else "no"),
    Column("justification", lambda r: r.justification),
    Column("controls", lambda r: r.control_count),
    Column("removed_at", lambda r: r.removed_at.isoformat() if r.removed_at else ""),
    Column("owner", lambda r: r.owner.email if r.owner else ""),
)


REQUIREMENT_LIST = ListSpec(RequirementFilterSet, columns=REQUIREMENT_COLUMNS)


@login_required
@require_view(Requirement)
def requirement_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(REQUIREMENT_LIST, selectors.requirements_visible_to(user=user), request)
    can_change = user.has_perm(CHANGE_REQUIREMENT)
    context = {"listing": listing, "can_change": can_change, "bulk_form": BulkOwnerForm() if can_change else None}
    return render(request, "governance/frameworks/requirement_list.html", context)


@login_required
@require_view(Requirement)
def requirement_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    queryset = selectors.requirements_visible_to(user=user)
    spec = replace(
        REQUIREMENT_LIST, columns=people_masked(REQUIREMENT_LIST.columns, user, {"owner": lambda r: r.owner})
    )
    return csv_response(spec, queryset, request, "requirements.csv")


def _requirement(request: HttpRequest, pk: int) -> Requirement:
    try:
        return selectors.requirement_for(user=_user(request), pk=pk)
    except Requirement.DoesNotExist as exc:
        raise Http404("No such requirement.") from exc


def _applicability_initial(requirement: Requirement) -> dict[str, str]:
    return {"applicable": "yes" if requirement.applicable else "no", "justification": requirement.justification}


@login_required
@require_view(Requirement)
def requirement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    requirement = _requirement(request, pk)
    context = {
        "requirement": requirement,
        "children": selectors.children_of(user=user, requirement=requirement),
        "controls": selectors.controls_of_requirement(user=user, requirement=requirement),
        "can_change": user.has_perm(CHANGE_REQUIREMENT),
        "form": ApplicabilityForm(initial=_applicability_initial(requirement)),
    }
    return render(request, "governance/frameworks/requirement_detail.html", context)


@login_required
@permission_required(CHANGE_REQUIREMENT, raise_exception=True)
def requirement_applicability(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = _requirement(request, pk)
    form = ApplicabilityForm(request.POST or None, initial=_applicability_initial(requirement))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_requirement_applicability(
                actor=_user(request),
                requirement=requirement,
                applicable=form.cleaned_data["applicable"],
                justification=form.cleaned_data["justification"],
            )
        except (DomainError, ValidationError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Applicability of {requirement.ref_id} saved.")
            return redirect("governance:requirement_detail", pk=requirement.pk)
    status = 400 if request.method == "POST" else 200
    context = {"requirement": requirement, "form": form}
    return render(request, "governance/frameworks/requirement_applicability.html", context, status=status)


@require_POST
@login_required
@permission_required(CHANGE_REQUIREMENT, raise_exception=True)
def requirement_bulk_applicability(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = BulkApplicabilityForm(request.POST)
    back = reverse("governance:requirement_list")
    # The list's filters, re-encoded so only a query string can come back from the form.
    query = QueryDict(request.POST.get("return_query", "")).urlencode()
    if query:
        back = f"{back}?{query}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    requirements = selectors.requirements_visible_to(user=user).filter(pk__in=form.cleaned_data["ids"])
    try:
        count = services.set_applicability_bulk(
            actor=user,
            requirements=requirements,
            applicable=form.cleaned_data["applicable"],
            justification=form.cleaned_data["justification"],
        )
    except (DomainError, ValidationError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
    else:
        label = "applicable" if form.cleaned_data["applicable"] else "not applicable"
        messages.success(request, f"{count} requirement{'s' if count != 1 else ''} marked {label}.")
    return redirect(back)
