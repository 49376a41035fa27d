"""Governance API for compliance exceptions: request, decide (never by the requester), revoke."""

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
from governance.api.owners import BulkOwnerMixin
from governance.api.scoped import ScopedModelPerms
from governance.filters import (
    ExceptionFilterSet,
)
from governance.models import ComplianceException, Control, Requirement
from governance.selectors import exceptions as exception_selectors
from governance.services import exceptions as exception_services
from governance.services import owners

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
    list=extend_schema(summary="List exceptions"),
    retrieve=extend_schema(summary="One exception"),
    bulk_owner=extend_schema(summary="Give many exceptions one owner"),
    create=extend_schema(summary="Request an exception", request=ExceptionInput, responses={201: ExceptionOutput}),
    decide=extend_schema(summary="Approve or reject", request=DecisionInput, responses=ExceptionOutput),
    revoke=extend_schema(summary="Revoke an approved exception", request=RevokeInput, responses=ExceptionOutput),
)
class ExceptionViewSet(BulkOwnerMixin, viewsets.GenericViewSet[ComplianceException]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = ExceptionFilterSet
    permission_classes = [ScopedModelPerms]
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
        exceptions = self.filter_queryset(self.get_queryset())
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


router.register("exceptions", ExceptionViewSet, basename="exception")
