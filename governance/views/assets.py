"""Asset inventory pages: holders of ``governance.view_asset`` read, ``add``/``change_asset`` manage."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from core.listing import Column, ListSpec, build_list, csv_response
from governance.filters import AssetFilterSet
from governance.forms.risks import AssetForm, BulkOwnerForm, add_service_errors
from governance.models import Asset
from governance.selectors import assets as selectors
from governance.services import assets as services
from governance.views.risks import posted_data

VIEW = "governance.view_asset"
CHANGE = "governance.change_asset"


ASSET_LIST = ListSpec(
    AssetFilterSet,
    columns=(
        Column("Name", lambda a: a.name),
        Column("Kind", lambda a: a.get_kind_display()),
        Column("Owner", lambda a: a.owner.email if a.owner else ""),
        Column("Data classification", lambda a: a.get_data_classification_display()),
        Column("Criticality", lambda a: a.get_criticality_display()),
        Column("Vendor", lambda a: a.vendor),
        Column("Active", lambda a: "yes" if a.is_active else "no"),
        Column("Open risks", lambda a: a.open_risks),
        Column("Description", lambda a: a.description),
    ),
)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _asset(request: HttpRequest, pk: int) -> Asset:
    try:
        return selectors.asset_for(_user(request), pk)
    except Asset.DoesNotExist as exc:
        raise Http404("No such asset.") from exc


@login_required
@permission_required(VIEW, raise_exception=True)
def asset_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listing = build_list(ASSET_LIST, selectors.assets_visible_to(user), request)
    can_change = user.has_perm(CHANGE)
    context = {
        "listing": listing,
        "can_add": user.has_perm("governance.add_asset"),
        "can_change": can_change,
        "bulk_form": BulkOwnerForm() if can_change else None,
    }
    return render(request, "governance/assets/asset_list.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def asset_export(request: HttpRequest) -> HttpResponse:
    assets = selectors.assets_visible_to(_user(request))
    return csv_response(ASSET_LIST, assets, request, "assets.csv")


@login_required
@permission_required(VIEW, raise_exception=True)
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    asset = _asset(request, pk)
    context = {
        "asset": asset,
        "risks": selectors.risks_on_asset(user, asset),
        "can_change": user.has_perm(CHANGE),
        "can_see_risks": user.has_perm("governance.view_riskmatrix"),
    }
    return render(request, "governance/assets/asset_detail.html", context)


def _data(form: AssetForm) -> services.AssetData:
    return services.AssetData(**form.cleaned_data)


@login_required
@permission_required("governance.add_asset", raise_exception=True)
def asset_create(request: HttpRequest) -> HttpResponse:
    form = AssetForm(posted_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            asset = services.create_asset(actor=_user(request), data=_data(form))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{asset.name} is in the inventory.")
            return redirect("governance:asset_detail", pk=asset.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/assets/asset_form.html", {"form": form, "asset": None}, status=status)


@login_required
@permission_required(CHANGE, raise_exception=True)
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _asset(request, pk)
    initial = services.AssetData.from_asset(asset).__dict__
    form = AssetForm(posted_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_asset(actor=_user(request), asset=asset, data=_data(form))
        except (DomainError, ValidationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{asset.name} is saved.")
            return redirect("governance:asset_detail", pk=asset.pk)
    status = 400 if form.errors else 200
    return render(request, "governance/assets/asset_form.html", {"form": form, "asset": asset}, status=status)


def _activation(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    asset = _asset(request, pk)
    try:
        if active:
            services.reactivate_asset(actor=_user(request), asset=asset)
            messages.success(request, f"{asset.name} is active again.")
        else:
            services.deactivate_asset(actor=_user(request), asset=asset)
            messages.success(request, f"{asset.name} is inactive.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("governance:asset_detail", pk=asset.pk)


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def asset_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _activation(request, pk, active=False)


@require_POST
@login_required
@permission_required(CHANGE, raise_exception=True)
def asset_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _activation(request, pk, active=True)
