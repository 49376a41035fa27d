"""Governance API for findings."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from core.api import router
from core.api_permissions import ModelPerms
from governance.api.owners import BulkOwnerMixin, user_field
from governance.filters import (
    FindingFilterSet,
)
from governance.models import Control, ControlTest, Finding, Requirement, Risk
from governance.selectors import findings as finding_selectors
from governance.services import findings as finding_services
from governance.services import owners

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
    owner = user_field(required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class FindingUpdateInput(FindingInput):
    title = serializers.CharField(max_length=300, required=False)


@extend_schema_view(
    list=extend_schema(summary="List findings"),
    retrieve=extend_schema(summary="One finding"),
    create=extend_schema(summary="Record a finding", request=FindingInput, responses={201: FindingOutput}),
    update=extend_schema(summary="Change a finding", request=FindingUpdateInput, responses=FindingOutput),
    partial_update=extend_schema(summary="Change a finding", request=FindingUpdateInput, responses=FindingOutput),
    close=extend_schema(summary="Close a finding", request=None, responses=FindingOutput),
    reopen=extend_schema(summary="Reopen a finding", request=None, responses=FindingOutput),
    bulk_owner=extend_schema(summary="Give many findings one owner"),
)
class FindingViewSet(BulkOwnerMixin, viewsets.GenericViewSet[Finding]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = FindingFilterSet
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
        findings = self.filter_queryset(self.get_queryset())
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


router.register("findings", FindingViewSet, basename="finding")
