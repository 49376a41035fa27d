"""Risk pages: the register, one risk, the heat map and the matrix settings.

Who may use them: every page needs ``governance.view_riskmatrix`` (Administrators,
Compliance officers, IT administrators, Control owners); what each person sees is
scoped by ``risks_visible_to`` (risk managers everything, owners their own risks).
A risk someone may not see is a 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.listing import Column, ListSpec, build_list, csv_response
from governance.filters import RiskFilterSet, risk_heat_map
from governance.forms.risks import BulkOwnerForm, RiskForm, RiskMatrixForm, add_service_errors
from governance.models import Control, Risk, RiskMatrix
from governance.scoping import can, scoped
from governance.selectors import risks as selectors
from governance.selectors.controls import HIDDEN_CONTROL, control_opener
from governance.selectors.pickers import people_masked
from governance.services import risks as services
from governance.views.scope import require_view

USE_RISKS = "governance.view_riskmatrix"
MANAGE = services.MANAGE_RISKS


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def clean_params(request: HttpRequest) -> dict[str, str]:
    """Query parameters without NUL characters, which no database accepts."""
    return {key: str(value).replace("\x00", "") for key, value in request.GET.items()}


def risk_list_spec(matrix: RiskMatrix) -> ListSpec:
    """The register's filters and its CSV columns (levels named by ``matrix``)."""
    level_label = selectors.level_label
    return ListSpec(
        RiskFilterSet,
        columns=(
            Column("Reference", lambda r: r.ref),
            Column("Title", lambda r: r.title),
            Column("Status", lambda r: r.get_status_display()),
            Column("Owner", lambda r: r.owner.email if r.owner else ""),
            Column("Assets", lambda r: "; ".join(a.name for a in r.assets.all())),
            Column("Threat", lambda r: r.threat),
            Column("Vulnerability", lambda r: r.vulnerability),
            Column("Inherent likelihood", lambda r: level_label(matrix.likelihood_labels, r.inherent_likelihood)),
            Column("Inherent impact", lambda r: level_label(matrix.impact_labels, r.inherent_impact)),
            Column("Inherent score", lambda r: r.inherent_score),
            Column("Residual likelihood", lambda r: level_label(matrix.likelihood_labels, r.residual_likelihood)),
            Column("Residual impact", lambda r: level_label(matrix.impact_labels, r.residual_impact)),
            Column("Residual score", lambda r: r.residual_score),
            Column("Residual band", lambda r: matrix.band_for(r.residual_score)["label"]),
            Column("Treatment", lambda r: r.get_treatment_display()),
            Column("Treatment plan", lambda r: r.treatment_plan),
            Column("Controls", lambda r: "; ".join(c.ref for c in r.controls.all())),
            Column("Accepted by", lambda r: r.accepted_by.email if r.accepted_by else ""),
            Column("Acceptance expires", lambda r: r.acceptance_expires_on or ""),
            Column("Review date", lambda r: r.review_date or ""),
        ),
    )


def posted_data(request: HttpRequest) -> QueryDict | None:
    """The POST data to bind a form to, even when empty (an empty POST shows field errors)."""
    return request.POST if request.method == "POST" else None


def _risk(request: HttpRequest, pk: int) -> Risk:
    try:
        return selectors.risk_for(_user(request), pk)
    except Risk.DoesNotExist as exc:
        raise Http404("No such risk.") from exc


def _rows(risks: list[Risk], matrix: RiskMatrix) -> list[dict[str, Any]]:
    return [
        {
            "risk": risk,
            "inherent_band": selectors.band_index(matrix, risk.inherent_score),
            "residual_band": selectors.band_index(matrix, risk.residual_score),
            "residual_label": matrix.band_for(risk.residual_score)["label"],
        }
        for risk in risks
    ]


# --- Register ---


def _cell_label(cell: selectors.Cell, matrix: RiskMatrix) -> str:
    return (
        f"{cell.view.capitalize()} likelihood {cell.likelihood} "
        f"({matrix.likelihood_labels[cell.likelihood - 1]}) x impact {cell.impact} "
        f"({matrix.impact_labels[cell.impact - 1]})"
    )


def _without_cell(querystring: str) -> str:
    query = QueryDict(querystring, mutable=True)
    for name in selectors.CELL_PARAMS:
        query.pop(name, None)
    return f"?{query.urlencode()}"


@login_required
@require_view(Risk, USE_RISKS)
def risk_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    params = clean_params(request)
    matrix = selectors.risk_matrix()
    risks, cell = selectors.risks_for_list(user, matrix, params)
    listing = build_list(risk_list_spec(matrix), risks, request)
    if cell is not None:
        # Keep the heat-map cell in sort, page and export links.
        keep = QueryDict(listing.querystring, mutable=True)
        keep.update(cell.params)
        listing.querystring = keep.urlencode()
    can_manage = user.has_perm(MANAGE)
    context = {
        "listing": listing,
        "rows": _rows(listing.rows, matrix),
        "cell": cell,
        "cell_label": _cell_label(cell, matrix) if cell else "",
        "clear_cell_url": _without_cell(listing.querystring),
        "can_add": user.has_perm("governance.add_risk"),
        "can_manage": can_manage,
        "bulk_form": BulkOwnerForm() if can_manage else None,
    }
    return render(request, "governance/risks/risk_list.html", context)


@login_required
@require_view(Risk, USE_RISKS)
def risk_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    params = clean_params(request)
    matrix = selectors.risk_matrix()
    risks, _ = selectors.risks_for_list(user, matrix, params)
    spec = risk_list_spec(matrix)
    # People only to those who may see users; controls the user may not open are not named.
    columns = people_masked(spec.columns, user, {"Owner": lambda r: r.owner, "Accepted by": lambda r: r.accepted_by})
    opens = control_opener(user)
    shown = Column("Controls", lambda r: "; ".join(c.ref if opens(c) else HIDDEN_CONTROL for c in r.controls.all()))
    spec = replace(spec, columns=tuple(shown if c.header == "Controls" else c for c in columns))
    return csv_response(spec, risks, request, "risks.csv")


# --- One risk ---


def _controls_for(user: User) -> Any:
    return scoped(user, Control.objects.all()).only("pk", "ref", "title").order_by("ref")


@login_required
@require_view(Risk, USE_RISKS)
def risk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    risk = _risk(request, pk)
    matrix = selectors.risk_matrix()
    opens = control_opener(user)
    context = {
        "risk": risk,
        # Linked controls the user may not open are listed masked, without their title.
        "linked_controls": [(control, opens(control)) for control in risk.controls.all()],
        "matrix": matrix,
        "row": _rows([risk], matrix)[0],
        "inherent_labels": (
            selectors.level_label(matrix.likelihood_labels, risk.inherent_likelihood),
            selectors.level_label(matrix.impact_labels, risk.inherent_impact),
        ),
        "residual_labels": (
            selectors.level_label(matrix.likelihood_labels, risk.residual_likelihood),
            selectors.level_label(matrix.impact_labels, risk.residual_impact),
        ),
        "can_edit": can(user, risk, "change"),
        "can_manage": user.has_perm(MANAGE),
    }
    return render(request, "governance/risks/risk_detail.html", context)


def _risk_data(form: RiskForm, base: services.RiskData | None) -> services.RiskData:
    data = dict(form.cleaned_data)
    data["assets"] = list(data.get("assets") or [])
    data["controls"] = list(data.get("controls") or [])
    data["ref"] = data.get("ref") or ""
    if base is None:
        return services.RiskData(**data)
    return base.updated(**data)


@login_required
@permission_required("governance.add_risk", raise_exception=True)
def risk_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    matrix = selectors.risk_matrix()
    form = RiskForm(
        posted_data(request),
        matrix=matrix,
        controls=_controls_for(user),
        can_manage=user.has_perm(MANAGE),
        user=user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.create_risk(actor=user, data=_risk_data(form, None))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Risk {risk.ref} is recorded.")
            return redirect("governance:risk_detail", pk=risk.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/risks/risk_form.html", {"form": form, "risk": None}, status=status)


@login_required
@permission_required(USE_RISKS, raise_exception=True)
def risk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    risk = _risk(request, pk)
    if not can(user, risk, "change"):
        raise PermissionDenied("You may change only the risks you own.")
    matrix = selectors.risk_matrix()
    base = services.RiskData.from_risk(risk)
    initial = {**base.__dict__, "assets": base.assets, "controls": base.controls}
    form = RiskForm(
        posted_data(request),
        initial=initial,
        matrix=matrix,
        controls=_controls_for(user),
        can_manage=user.has_perm(MANAGE),
        user=user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_risk(actor=user, risk=risk, data=_risk_data(form, base))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Risk {risk.ref} is saved.")
            return redirect("governance:risk_detail", pk=risk.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/risks/risk_form.html", {"form": form, "risk": risk}, status=status)


def _change_status(request: HttpRequest, pk: int, *, close: bool) -> HttpResponse:
    user = _user(request)
    risk = _risk(request, pk)
    try:
        if close:
            services.close_risk(actor=user, risk=risk)
            messages.success(request, f"Risk {risk.ref} is closed.")
        else:
            services.reopen_risk(actor=user, risk=risk)
            messages.success(request, f"Risk {risk.ref} is open again.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("governance:risk_detail", pk=risk.pk)


@require_POST
@login_required
@permission_required(MANAGE, raise_exception=True)
def risk_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, close=True)


@require_POST
@login_required
@permission_required(MANAGE, raise_exception=True)
def risk_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_status(request, pk, close=False)


# --- Heat map and matrix ---


@login_required
@require_view(Risk, USE_RISKS)
def risk_heatmap(request: HttpRequest) -> HttpResponse:
    params = clean_params(request)
    if "status" not in params:
        params["status"] = Risk.Status.OPEN
    view = params.get("view", "inherent")
    heat, _ = risk_heat_map(_user(request), view, params)
    toggle = dict(heat.filters)
    context = {
        "heat": heat,
        "statuses": Risk.Status.choices,
        "treatments": Risk.Treatment.choices,
        "status_value": params.get("status", ""),
        "treatment_value": heat.filters.get("treatment", ""),
        "view_links": [
            (name, name.capitalize(), _query({**toggle, "status": params.get("status", ""), "view": name}))
            for name in selectors.VIEWS
        ],
    }
    return render(request, "governance/risks/risk_heatmap.html", context)


def _query(values: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    query.update(values)
    return query.urlencode()


@login_required
@permission_required("governance.change_riskmatrix", raise_exception=True)
def risk_matrix(request: HttpRequest) -> HttpResponse:
    matrix = selectors.risk_matrix()
    form = RiskMatrixForm(posted_data(request), initial=RiskMatrixForm.initial_for(matrix))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_risk_matrix(
                actor=_user(request),
                size=data["size"],
                likelihood_labels=data["likelihood_labels"],
                impact_labels=data["impact_labels"],
                bands=data["bands"],
            )
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The risk matrix is saved.")
            return redirect("governance:risk_matrix")
    status = 400 if form.errors else 200
    context = {"form": form, "matrix": matrix, "bands": [(i, *r) for i, r in enumerate(selectors.band_ranges(matrix))]}
    return render(request, "governance/risks/risk_matrix.html", context, status=status)


@login_required
@require_view(Risk, USE_RISKS)
def risk_matrix_css(request: HttpRequest) -> HttpResponse:
    """The configured band colours as CSS classes (``heat-band-N``), so no page needs inline styles."""
    matrix = selectors.risk_matrix()
    lines = ["/* Risk matrix band colours, generated from the matrix settings. */"]
    for index, band in enumerate(matrix.bands):
        colour = str(band.get("colour", ""))
        if not services.COLOUR.match(colour):
            continue
        text = "#000" if _is_light(colour) else "#fff"
        lines.append(f".heat-band-{index} {{ background-color: {colour}; color: {text}; }}")
        lines.append(f".heat-band-{index} a {{ color: {text}; }}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "private, max-age=60"
    return response


def _is_light(colour: str) -> bool:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return (0.299 * red + 0.587 * green + 0.114 * blue) > 150
