"""Access reviews API: a system pushes its accounts; accounts and the access report are read.

``POST /api/v1/system-accounts/push/`` with ``{"system": NAME, "accounts": [...]}`` (the JSON
import format) replaces the system's snapshot, with a personal API token of someone allowed to
import (IT administrators, Administrators). A bad row is a 400 naming the row and column, and
nothing changes.
"""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from core.api import router
from core.api_parsers import JSONParser
from core.api_permissions import ModelPerms
from core.errors import DomainError
from reviews import selectors
from reviews.filters import AccountFilterSet
from reviews.models import SystemAccount
from reviews.report import access_report
from reviews.services.imports import AccountImportError, import_accounts


class AccountOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    system = serializers.CharField(source="asset.name")
    account = serializers.CharField()
    email = serializers.CharField()
    entitlements = serializers.ListField(child=serializers.CharField())
    last_sign_in = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=SystemAccount.Status.choices)
    person = serializers.IntegerField(source="user_id", allow_null=True)


class PushInput(serializers.Serializer[Any]):
    system = serializers.CharField(max_length=200)
    accounts = serializers.ListField(child=serializers.JSONField(), allow_empty=True, max_length=200_000)


class PushOutput(serializers.Serializer[Any]):
    system = serializers.CharField()
    imported = serializers.IntegerField()
    snapshot = serializers.IntegerField()


class ReportOutput(serializers.Serializer[Any]):
    orphans = serializers.ListField(child=serializers.DictField())
    leavers = serializers.ListField(child=serializers.DictField())
    dormant = serializers.ListField(child=serializers.DictField())
    sod_violations = serializers.ListField(child=serializers.DictField())


@extend_schema_view(
    list=extend_schema(summary="Accounts of systems (current snapshots)"),
    push=extend_schema(summary="Replace a system's accounts", request=PushInput, responses={201: PushOutput}),
    report=extend_schema(summary="Orphan, leaver, dormant accounts and SoD violations", responses=ReportOutput),
)
class SystemAccountViewSet(viewsets.GenericViewSet[SystemAccount]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccountFilterSet
    permission_classes = [ModelPerms]
    perm_action_map = {"push": "add", "report": "view"}
    parser_classes = [JSONParser]
    serializer_class = AccountOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return SystemAccount.objects.none()
        return selectors.accounts_visible_to(_caller(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(AccountOutput(page, many=True).data)

    @action(detail=False, methods=["post"])
    def push(self, request: Request) -> Response:
        data = _valid(PushInput, request.data)
        try:
            snapshot = import_accounts(actor=_caller(request), system=data["system"], records=data["accounts"])
        except AccountImportError as exc:
            return Response({"detail": str(exc), "errors": exc.problems}, status=status.HTTP_400_BAD_REQUEST)
        except DomainError:
            raise
        out = {"system": snapshot.asset.name, "imported": snapshot.row_count, "snapshot": snapshot.pk}
        return Response(out, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["get"])
    def report(self, request: Request) -> Response:
        return Response(access_report())


router.register("system-accounts", SystemAccountViewSet, basename="system-account")
from reviews import api_requests  # noqa: E402,F401  (registers the access-request endpoints)
