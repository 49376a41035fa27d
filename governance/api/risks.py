"""Governance API for risks, the heat map and the risk matrix.

Explicit input and output serializers; reads go through ``governance.selectors`` and
changes through ``governance.services``, the same ones the pages use.

- ``/risks/``: for holders of ``governance.view_riskmatrix``; risk managers see all risks,
  owners only their own (others are 404). Lists take the register's filters (``q``,
  ``status``, ``treatment``, ``owner``, ``asset``, ``band``, ``review``, ``sort``) and a
  heat-map cell (``view``, ``likelihood``, ``impact``).
- ``/risk-heatmap/?view=inherent|residual``: counts per cell, each with the link to its risks.
- ``/risk-matrix/``: ``GET`` the matrix (size, labels, colour bands); ``PUT`` replaces it
  (``governance.change_riskmatrix``), refused while risks are rated above a smaller size.
"""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from core.api import SingleObjectSchema, router
from core.api_permissions import IsSignedIn
from governance.api.owners import BulkOwnerInput, BulkOwnerMixin, ChangedOutput, user_field
from governance.api.scoped import MayReadRisks, MayUseRisks
from governance.filters import (
    RiskFilterSet,
    RiskHeatMapFilterSet,
    risk_heat_map,
)
from governance.models import Asset, Control, Risk
from governance.selectors import risks as risk_selectors
from governance.services import owners
from governance.services import risks as risk_services

USE_RISKS = "governance.view_riskmatrix"


# --- Permissions ---


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


class RiskInput(serializers.Serializer[Any]):
    ref = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="Empty: numbered for you.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    threat = serializers.CharField(required=False, allow_blank=True)
    vulnerability = serializers.CharField(required=False, allow_blank=True)
    owner = user_field(required=False, help_text="Needs governance.change_risk to set or change.")
    assets = serializers.PrimaryKeyRelatedField(queryset=Asset.objects.all(), many=True, required=False)
    inherent_likelihood = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    inherent_impact = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    residual_likelihood = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    residual_impact = serializers.IntegerField(required=False, help_text="1 to the matrix size.")
    treatment = serializers.ChoiceField(choices=Risk.Treatment.choices, required=False)
    treatment_plan = serializers.CharField(required=False, allow_blank=True)
    controls = serializers.PrimaryKeyRelatedField(queryset=Control.objects.all(), many=True, required=False)
    accepted_by = user_field(
        required=False,
        help_text="Whoever records or renews an acceptance is its approver (a risk manager, not the owner); "
        "naming someone else is refused. May be left out.",
    )
    acceptance_expires_on = serializers.DateField(required=False, allow_null=True)
    review_date = serializers.DateField(required=False, allow_null=True)


class RiskUpdateInput(RiskInput):
    title = serializers.CharField(max_length=300, required=False)


class OwnerInput(serializers.Serializer[Any]):
    owner = user_field()


@extend_schema_view(
    list=extend_schema(summary="List risks"),
    retrieve=extend_schema(summary="One risk"),
    create=extend_schema(summary="Record a risk", request=RiskInput, responses={201: RiskOutput}),
    update=extend_schema(summary="Change a risk", request=RiskUpdateInput, responses=RiskOutput),
    partial_update=extend_schema(summary="Change a risk", request=RiskUpdateInput, responses=RiskOutput),
    close=extend_schema(summary="Close a risk", request=None, responses=RiskOutput),
    reopen=extend_schema(summary="Reopen a risk", request=None, responses=RiskOutput),
    assign_owner=extend_schema(summary="Give a risk a new owner", request=OwnerInput, responses=RiskOutput),
    bulk_owner=extend_schema(summary="Give many risks one owner", request=BulkOwnerInput, responses=ChangedOutput),
)
class RiskViewSet(BulkOwnerMixin, viewsets.GenericViewSet[Risk]):
    """The risk register; owners reach only their own risks."""

    filter_backends = [DjangoFilterBackend]
    filterset_class = RiskFilterSet
    permission_classes = [MayUseRisks]
    object_scoped = True
    perm_action_map = {"close": "change", "reopen": "change", "assign_owner": "change", "bulk_owner": "change"}
    owned_kind = owners.RISKS
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
        risks = self.filter_queryset(risks)
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

    filter_backends = [DjangoFilterBackend]
    filterset_class = RiskHeatMapFilterSet
    permission_classes: list[type[BasePermission]] = [MayReadRisks]
    pagination_class = None
    serializer_class = HeatMapOutput
    schema = SingleObjectSchema()

    def get_queryset(self) -> Any:
        return Risk.objects.none()

    @extend_schema(
        summary="Risk heat map",
        parameters=[
            OpenApiParameter("view", OpenApiTypes.STR, enum=["inherent", "residual"], description="Which scores."),
        ],
        responses=HeatMapOutput,
    )
    def list(self, request: Request) -> Response:
        params = request.query_params
        heat, errors = risk_heat_map(_caller(request), params.get("view", "inherent"), params)
        if errors:
            raise ApiValidationError(errors)
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


router.register("risks", RiskViewSet, basename="risk")
router.register("risk-heatmap", RiskHeatMapViewSet, basename="risk-heatmap")
router.register("risk-matrix", RiskMatrixViewSet, basename="risk-matrix")
