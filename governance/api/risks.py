"""Governance API for risks, the heat map, assets, exceptions and findings.

Explicit input and output serializers; reads go through ``governance.selectors`` and
changes through ``governance.services``, the same ones the pages use.

- ``/risks/``: for holders of ``governance.view_riskmatrix``; risk managers see all risks,
  owners only their own (others are 404). Lists take the register's filters (``q``,
  ``status``, ``treatment``, ``owner``, ``asset``, ``band``, ``review``, ``sort``) and a
  heat-map cell (``view``, ``likelihood``, ``impact``).
- ``/risk-heatmap/?view=inherent|residual``: counts per cell, each with the link to its risks.
- ``/risk-matrix/``: ``GET`` the matrix (size, labels, colour bands); ``PUT`` replaces it
  (``governance.change_riskmatrix``), refused while risks are rated above a smaller size.
- ``/assets/``, ``/exceptions/``, ``/findings/``: model permissions, reads included.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from access.api_permissions import IsSignedIn, ModelPerms
from access.models import User
from governance.api.owners import BulkOwnerInput, BulkOwnerMixin, ChangedOutput
from governance.models import Asset, ComplianceException, Control, ControlTest, Finding, Requirement, Risk
from governance.scoping import scoped
from governance.selectors import assets as asset_selectors
from governance.selectors import exceptions as exception_selectors
from governance.selectors import findings as finding_selectors
from governance.selectors import risks as risk_selectors
from governance.services import assets as asset_services
from governance.services import exceptions as exception_services
from governance.services import findings as finding_services
from governance.services import owners
from governance.services import risks as risk_services
from workbench.api import SingleObjectSchema, router
from workbench.listing import ListSpec, filter_queryset

USE_RISKS = "governance.view_riskmatrix"


def _parameters(spec: ListSpec | None, filters: list[tuple[str, str]], sorts: list[str]) -> list[OpenApiParameter]:
    params = [OpenApiParameter("q", OpenApiTypes.STR, description="Search text.")]
    if spec is not None:
        for flt in spec.filters:
            enum = [value for value, _ in flt.options()] if not callable(flt.choices) else None
            params.append(OpenApiParameter(flt.param, OpenApiTypes.STR, description=flt.label, enum=enum or None))
        sorts = sorted(spec.sorts)
    params += [OpenApiParameter(name, OpenApiTypes.STR, description=label) for name, label in filters]
    params.append(
        OpenApiParameter("sort", OpenApiTypes.STR, description=f"One of {', '.join(sorts)}; prefix '-' to reverse.")
    )
    return params


RISK_PARAMETERS = _parameters(
    None,
    [
        ("status", "open or closed"),
        ("treatment", "mitigate, accept, transfer or avoid"),
        ("owner", "Owner's user id"),
        ("asset", "Asset id"),
        ("band", "Index of the residual colour band (0 = lowest)"),
        ("review", "'overdue': review date has passed"),
        ("view", "Heat-map view of the cell filter: inherent or residual"),
        ("likelihood", "Heat-map cell: likelihood level"),
        ("impact", "Heat-map cell: impact level"),
    ],
    ["inherent", "ref", "residual", "review", "title"],
)


# --- Permissions ---


class MayUseRisks(ModelPerms):
    """``governance.view_riskmatrix`` to reach the register at all; then model or object permissions."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and request.user.has_perm(USE_RISKS)


class HasViewMatrix(IsSignedIn):
    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and request.user.has_perm(USE_RISKS)


# --- Risks ---


class RiskOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ref = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    threat = serializers.CharField()
    vulnerability = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_email = serializers.EmailField(source="owner.email", allow_null=True, default=None)
    assets = serializers.SerializerMethodField()
    inherent_likelihood = serializers.IntegerField()
    inherent_impact = serializers.IntegerField()
    inherent_score = serializers.IntegerField()
    residual_likelihood = serializers.IntegerField()
    residual_impact = serializers.IntegerField()
    residual_score = serializers.IntegerField()
    treatment = serializers.ChoiceField(choices=Risk.Treatment.choices)
    treatment_plan = serializers.CharField()
    controls = serializers.SerializerMethodField()
    accepted_by = serializers.IntegerField(source="accepted_by_id", allow_null=True)
    acceptance_expires_on = serializers.DateField(allow_null=True)
    review_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Risk.Status.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_assets(self, obj: Risk) -> list[int]:
        return [a.pk for a in obj.assets.all()]

    def get_controls(self, obj: Risk) -> list[int]:
        return [c.pk for c in obj.controls.all()]


def _users(**kwargs: Any) -> Any:
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, **kwargs)


class RiskInput(serializers.Serializer[Any]):
    ref = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="Empty: numbered for you.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    threat = serializers.CharField(required=False, allow_blank=True)
    vulnerability = serializers.CharField(required=False, allow_blank=True)
    owner = _users(required=False, help_text="Needs governance.change_risk to set or change.")
    assets = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all(), many=True, required=False)
    inherent_likelihood = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    inherent_impact = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    residual_likelihood = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    residual_impact = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    treatment = serializers.ChoiceField(choices=Risk.Treatment.choices, required=False)
    treatment_plan = serializers.CharField(required=False, allow_blank=True)
    controls = serializers.PrimaryKeyRelatedField(queryset=Control.objects.all(), many=True, required=False)
    accepted_by = _users(
        required=False,
        help_text="Whoever records or renews an acceptance is its approver (a risk manager, not the owner); "
        "naming someone else is refused. May be left out.",
    )
    acceptance_expires_on = serializers.DateField(required=False, allow_null=True)
    review_date = serializers.DateField(required=False, allow_null=True)


class RiskUpdateInput(RiskInput):
    title = serializers.CharField(max_length=300, required=False)


class OwnerInput(serializers.Serializer[Any]):
    owner = _users()


@extend_schema_view(
    list=extend_schema(summary="List risks", parameters=RISK_PARAMETERS),
    retrieve=extend_schema(summary="One risk"),
    create=extend_schema(summary="Record a risk", request=RiskInput, responses={201: RiskOutput}),
    update=extend_schema(summary="Change a risk", request=RiskUpdateInput, responses=RiskOutput),
    partial_update=extend_schema(summary="Change a risk", request=RiskUpdateInput, responses=RiskOutput),
    close=extend_schema(summary="Close a risk", request=None, responses=RiskOutput),
    reopen=extend_schema(summary="Reopen a risk", request=None, responses=RiskOutput),
    assign_owner=extend_schema(summary="Give a risk a new owner", request=OwnerInput, responses=RiskOutput),
    bulk_owner=extend_schema(summary="Give many risks one owner", request=BulkOwnerInput, responses=ChangedOutput),
)
class RiskViewSet(viewsets.GenericViewSet[Risk]):
    """The risk register; owners reach only their own risks."""

    permission_classes = [MayUseRisks]
    object_scoped = True
    perm_action_map = {"close": "change", "reopen": "change", "assign_owner": "change", "bulk_owner": "change"}
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = RiskOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Risk.objects.none()
        return risk_selectors.risks_visible_to(_caller(self.request)).prefetch_related("controls")

    def _out(self, risk: Risk, code: int = status.HTTP_200_OK) -> Response:
        return Response(RiskOutput(self.get_queryset().get(pk=risk.pk)).data, status=code)

    def list(self, request: Request) -> Response:
        user = _caller(request)
        matrix = risk_selectors.risk_matrix()
        risks, _ = risk_selectors.risks_for_list(user, matrix, request.query_params)
        risks, _, _, _ = filter_queryset(risk_selectors.risk_list_spec(user, matrix), risks, request.query_params)
        page = self.paginate_queryset(risks)
        return self.get_paginated_response(RiskOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(RiskOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = _valid(RiskInput, request.data)
        risk = risk_services.create_risk(actor=_caller(request), data=risk_services.RiskData(**data))
        return self._out(risk, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        risk = self.get_object()
        data = _valid(RiskUpdateInput, request.data)
        merged = risk_services.RiskData.from_risk(risk).updated(**data)
        return self._out(risk_services.update_risk(actor=_caller(request), risk=risk, data=merged))

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        return self._out(risk_services.close_risk(actor=_caller(request), risk=self.get_object()))

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._out(risk_services.reopen_risk(actor=_caller(request), risk=self.get_object()))

    @action(detail=True, methods=["post"], url_path="assign-owner", url_name="assign-owner")
    def assign_owner(self, request: Request, pk: str) -> Response:
        data = _valid(OwnerInput, request.data)
        risk = risk_services.assign_risk_owner(actor=_caller(request), risk=self.get_object(), owner=data["owner"])
        return self._out(risk)

    @action(detail=False, methods=["post"], url_path="bulk-owner", url_name="bulk-owner")
    def bulk_owner(self, request: Request) -> Response:
        user = _caller(request)
        data = _valid(BulkOwnerInput, request.data)
        risks = scoped(user, Risk.objects.filter(pk__in=data["ids"]), "change")
        changed = risk_services.bulk_assign_risk_owner(actor=user, risks=risks, owner=data["owner"])
        return Response({"changed": changed})


# --- Heat map ---


class HeatCellOutput(serializers.Serializer[Any]):
    likelihood = serializers.IntegerField()
    impact = serializers.IntegerField()
    likelihood_label = serializers.CharField()
    impact_label = serializers.CharField()
    count = serializers.IntegerField()
    score = serializers.IntegerField()
    band_index = serializers.IntegerField()
    band_label = serializers.CharField()
    url = serializers.CharField(help_text="The risk register filtered to the risks of this cell.")
    aria_label = serializers.CharField()


class BandOutput(serializers.Serializer[Any]):
    max_score = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    colour = serializers.CharField()


class HeatMapOutput(serializers.Serializer[Any]):
    view = serializers.ChoiceField(choices=[("inherent", "Inherent"), ("residual", "Residual")])
    size = serializers.IntegerField()
    total = serializers.IntegerField()
    likelihood_labels = serializers.ListField(child=serializers.CharField())
    impact_labels = serializers.ListField(child=serializers.CharField())
    bands = BandOutput(many=True)
    cells = HeatCellOutput(many=True, help_text="Highest likelihood first, then by impact.")


class RiskHeatMapViewSet(viewsets.GenericViewSet[Risk]):
    """Counts of the caller's visible risks per likelihood x impact cell."""

    permission_classes: list[type[BasePermission]] = [HasViewMatrix]
    pagination_class = None
    serializer_class = HeatMapOutput
    schema = SingleObjectSchema()

    def get_queryset(self) -> Any:
        return Risk.objects.none()

    @extend_schema(
        summary="Risk heat map",
        parameters=[
            OpenApiParameter("view", OpenApiTypes.STR, enum=["inherent", "residual"], description="Which scores."),
            *_parameters(None, [("status", "open or closed"), ("treatment", "Treatment")], ["residual"])[:-1],
        ],
        responses=HeatMapOutput,
    )
    def list(self, request: Request) -> Response:
        params = request.query_params
        heat = risk_selectors.heat_map(_caller(request), view=params.get("view", "inherent"), filters=params)
        body = {
            "view": heat.view,
            "size": heat.matrix.size,
            "total": heat.total,
            "likelihood_labels": heat.matrix.likelihood_labels,
            "impact_labels": heat.matrix.impact_labels,
            "bands": heat.matrix.bands,
            "cells": [cell for _, _, cells in heat.rows for cell in cells],
        }
        return Response(HeatMapOutput(body).data)


# --- The matrix ---


class BandInput(serializers.Serializer[Any]):
    max_score = serializers.IntegerField(min_value=1, help_text="Highest score in this band; ascending.")
    label = serializers.CharField(max_length=50)  # type: ignore[assignment]
    colour = serializers.CharField(max_length=7, help_text="Like #c62828.")


class RiskMatrixInput(serializers.Serializer[Any]):
    size = serializers.IntegerField(min_value=3, max_value=5, help_text="Levels per axis: 3, 4 or 5.")
    likelihood_labels = serializers.ListField(child=serializers.CharField(max_length=50), max_length=5)
    impact_labels = serializers.ListField(child=serializers.CharField(max_length=50), max_length=5)
    bands = BandInput(many=True)


class RiskMatrixOutput(serializers.Serializer[Any]):
    size = serializers.IntegerField()
    likelihood_labels = serializers.ListField(child=serializers.CharField(), help_text="Lowest first.")
    impact_labels = serializers.ListField(child=serializers.CharField(), help_text="Lowest first.")
    bands = BandOutput(many=True, help_text="Ascending by max_score; the last covers the highest score.")
    updated_at = serializers.DateTimeField()


class RiskMatrixViewSet(viewsets.GenericViewSet[Risk]):
    """The risk matrix settings: read by whoever uses the register, replaced by risk managers."""

    permission_classes: list[type[BasePermission]] = [HasViewMatrix]
    parser_classes = [JSONParser]
    pagination_class = None
    serializer_class = RiskMatrixOutput
    schema = SingleObjectSchema()

    def get_queryset(self) -> Any:
        return Risk.objects.none()

    @extend_schema(operation_id="risk_matrix_retrieve", summary="The risk matrix", responses=RiskMatrixOutput)
    def list(self, request: Request) -> Response:
        return Response(RiskMatrixOutput(risk_selectors.risk_matrix()).data)

    @extend_schema(
        operation_id="risk_matrix_replace",
        summary="Reconfigure the risk matrix (size, labels, colour bands)",
        request=RiskMatrixInput,
        responses=RiskMatrixOutput,
    )
    def replace(self, request: Request) -> Response:
        data = _valid(RiskMatrixInput, request.data)
        matrix = risk_services.update_risk_matrix(actor=_caller(request), **data)
        return Response(RiskMatrixOutput(matrix).data)


# --- Assets ---


class AssetOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Asset.Kind.choices)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_email = serializers.EmailField(source="owner.email", allow_null=True, default=None)
    data_classification = serializers.ChoiceField(choices=Asset.Classification.choices)
    criticality = serializers.ChoiceField(choices=Asset.Criticality.choices)
    description = serializers.CharField()
    vendor = serializers.CharField()
    is_active = serializers.BooleanField()
    open_risks = serializers.IntegerField(help_text="Open risks naming this asset.")


class AssetInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Asset.Kind.choices, required=False)
    owner = _users(required=False)
    data_classification = serializers.ChoiceField(choices=Asset.Classification.choices, required=False)
    criticality = serializers.ChoiceField(choices=Asset.Criticality.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    vendor = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AssetUpdateInput(AssetInput):
    name = serializers.CharField(max_length=200, required=False)
    is_active = serializers.BooleanField(required=False, help_text="false deactivates, true reactivates.")


@extend_schema_view(
    list=extend_schema(summary="List assets", parameters=_parameters(asset_selectors.ASSET_LIST, [], [])),
    retrieve=extend_schema(summary="One asset"),
    create=extend_schema(summary="Add an asset", request=AssetInput, responses={201: AssetOutput}),
    update=extend_schema(summary="Change an asset", request=AssetUpdateInput, responses=AssetOutput),
    partial_update=extend_schema(summary="Change an asset", request=AssetUpdateInput, responses=AssetOutput),
    bulk_owner=extend_schema(summary="Give many assets one owner", request=BulkOwnerInput, responses=ChangedOutput),
)
class AssetViewSet(viewsets.GenericViewSet[Asset]):
    permission_classes = [ModelPerms]
    perm_action_map = {"bulk_owner": "change"}
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = AssetOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Asset.objects.none()
        return asset_selectors.assets_visible_to(_caller(self.request))

    def _out(self, asset: Asset, code: int = status.HTTP_200_OK) -> Response:
        return Response(AssetOutput(self.get_queryset().get(pk=asset.pk)).data, status=code)

    def list(self, request: Request) -> Response:
        assets, _, _, _ = filter_queryset(asset_selectors.ASSET_LIST, self.get_queryset(), request.query_params)
        page = self.paginate_queryset(assets)
        return self.get_paginated_response(AssetOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AssetOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = _valid(AssetInput, request.data)
        asset = asset_services.create_asset(actor=_caller(request), data=asset_services.AssetData(**data))
        return self._out(asset, status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        user = _caller(request)
        asset = self.get_object()
        data = _valid(AssetUpdateInput, request.data)
        active = data.pop("is_active", None)
        asset = asset_services.update_asset(
            actor=user, asset=asset, data=asset_services.AssetData.from_asset(asset).updated(**data)
        )
        if active is not None and active != asset.is_active:
            change = asset_services.reactivate_asset if active else asset_services.deactivate_asset
            asset = change(actor=user, asset=asset)
        return self._out(asset)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    @action(detail=False, methods=["post"], url_path="bulk-owner", url_name="bulk-owner")
    def bulk_owner(self, request: Request) -> Response:
        data = _valid(BulkOwnerInput, request.data)
        changed = asset_services.bulk_assign_asset_owner(
            actor=_caller(request), assets=Asset.objects.filter(pk__in=data["ids"]), owner=data["owner"]
        )
        return Response({"changed": changed})


# --- Exceptions ---


class ExceptionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    requirement = serializers.IntegerField(source="requirement_id", allow_null=True)
    control = serializers.IntegerField(source="control_id", allow_null=True)
    reason = serializers.CharField()
    compensating_measures = serializers.CharField()
    requested_by = serializers.IntegerField(source="requested_by_id")
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    approver = serializers.IntegerField(source="approver_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    expires_on = serializers.DateField()
    status = serializers.ChoiceField(choices=ComplianceException.Status.choices)
    created_at = serializers.DateTimeField()


class ExceptionInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.all(), required=False, allow_null=True
    )
    control = serializers.PrimaryKeyRelatedField(queryset=Control.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField()
    compensating_measures = serializers.CharField(required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(help_text="In the future, at most a year ahead.")


class DecisionInput(serializers.Serializer[Any]):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


class RevokeInput(serializers.Serializer[Any]):
    note = serializers.CharField()


@extend_schema_view(
    list=extend_schema(summary="List exceptions", parameters=_parameters(exception_selectors.EXCEPTION_LIST, [], [])),
    retrieve=extend_schema(summary="One exception"),
    bulk_owner=extend_schema(summary="Give many exceptions one owner"),
    create=extend_schema(summary="Request an exception", request=ExceptionInput, responses={201: ExceptionOutput}),
    decide=extend_schema(summary="Approve or reject", request=DecisionInput, responses=ExceptionOutput),
    revoke=extend_schema(summary="Revoke an approved exception", request=RevokeInput, responses=ExceptionOutput),
)
class ExceptionViewSet(BulkOwnerMixin, viewsets.GenericViewSet[ComplianceException]):
    permission_classes = [ModelPerms]
    perm_action_map = {"decide": "change", "revoke": "change", "bulk_owner": "change"}
    owned_kind = owners.EXCEPTIONS
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = ExceptionOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return ComplianceException.objects.none()
        return exception_selectors.exceptions_visible_to(_caller(self.request))

    def list(self, request: Request) -> Response:
        spec = exception_selectors.EXCEPTION_LIST
        exceptions, _, _, _ = filter_queryset(spec, self.get_queryset(), request.query_params)
        page = self.paginate_queryset(exceptions)
        return self.get_paginated_response(ExceptionOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(ExceptionOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = _valid(ExceptionInput, request.data)
        exception = exception_services.request_exception(actor=_caller(request), **data)
        return Response(ExceptionOutput(exception).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        data = _valid(DecisionInput, request.data)
        exception = exception_services.decide_exception(actor=_caller(request), exception=self.get_object(), **data)
        return Response(ExceptionOutput(exception).data)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        data = _valid(RevokeInput, request.data)
        exception = exception_services.revoke_exception(actor=_caller(request), exception=self.get_object(), **data)
        return Response(ExceptionOutput(exception).data)


# --- Findings ---


class FindingOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    severity = serializers.ChoiceField(choices=Finding.Severity.choices)
    status = serializers.ChoiceField(choices=Finding.Status.choices)
    control = serializers.IntegerField(source="control_id", allow_null=True)
    control_test = serializers.IntegerField(source="control_test_id", allow_null=True)
    requirement = serializers.IntegerField(source="requirement_id", allow_null=True)
    risk = serializers.IntegerField(source="risk_id", allow_null=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    raised_by = serializers.IntegerField(source="raised_by_id", allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class FindingInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Finding.Severity.choices, required=False)
    status = serializers.ChoiceField(
        choices=Finding.Status.choices, required=False, help_text="open or in_remediation; close with /close/."
    )
    control = serializers.PrimaryKeyRelatedField(queryset=Control.objects.all(), required=False, allow_null=True)
    control_test = serializers.PrimaryKeyRelatedField(
        queryset=ControlTest.objects.all(), required=False, allow_null=True
    )
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=Requirement.objects.all(), required=False, allow_null=True
    )
    risk = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.all(), required=False, allow_null=True)
    owner = _users(required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class FindingUpdateInput(FindingInput):
    title = serializers.CharField(max_length=300, required=False)


@extend_schema_view(
    list=extend_schema(summary="List findings", parameters=_parameters(finding_selectors.FINDING_LIST, [], [])),
    retrieve=extend_schema(summary="One finding"),
    create=extend_schema(summary="Record a finding", request=FindingInput, responses={201: FindingOutput}),
    update=extend_schema(summary="Change a finding", request=FindingUpdateInput, responses=FindingOutput),
    partial_update=extend_schema(summary="Change a finding", request=FindingUpdateInput, responses=FindingOutput),
    close=extend_schema(summary="Close a finding", request=None, responses=FindingOutput),
    reopen=extend_schema(summary="Reopen a finding", request=None, responses=FindingOutput),
    bulk_owner=extend_schema(summary="Give many findings one owner"),
)
class FindingViewSet(BulkOwnerMixin, viewsets.GenericViewSet[Finding]):
    permission_classes = [ModelPerms]
    perm_action_map = {"close": "change", "reopen": "change", "bulk_owner": "change"}
    owned_kind = owners.FINDINGS
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = FindingOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        return finding_selectors.findings_visible_to(_caller(self.request))

    def list(self, request: Request) -> Response:
        spec = finding_selectors.FINDING_LIST
        findings, _, _, _ = filter_queryset(spec, self.get_queryset(), request.query_params)
        page = self.paginate_queryset(findings)
        return self.get_paginated_response(FindingOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(FindingOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = _valid(FindingInput, request.data)
        finding = finding_services.create_finding(actor=_caller(request), data=finding_services.FindingData(**data))
        return Response(FindingOutput(finding).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str) -> Response:
        finding = self.get_object()
        data = _valid(FindingUpdateInput, request.data)
        merged = finding_services.FindingData.from_finding(finding).updated(**data)
        finding = finding_services.update_finding(actor=_caller(request), finding=finding, data=merged)
        return Response(FindingOutput(finding).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        finding = finding_services.close_finding(actor=_caller(request), finding=self.get_object())
        return Response(FindingOutput(finding).data)

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        finding = finding_services.reopen_finding(actor=_caller(request), finding=self.get_object())
        return Response(FindingOutput(finding).data)


router.register("risks", RiskViewSet, basename="risk")
router.register("risk-heatmap", RiskHeatMapViewSet, basename="risk-heatmap")
router.register("risk-matrix", RiskMatrixViewSet, basename="risk-matrix")
router.register("assets", AssetViewSet, basename="asset")
router.register("exceptions", ExceptionViewSet, basename="exception")
router.register("findings", FindingViewSet, basename="finding")
