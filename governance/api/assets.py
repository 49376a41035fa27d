"""Governance API for assets (the inventory): model permissions, reads included."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from core.api import router
from core.api_permissions import ModelPerms
from governance.api.owners import BulkOwnerInput, BulkOwnerMixin, ChangedOutput, user_field
from governance.filters import (
    AssetFilterSet,
)
from governance.models import Asset
from governance.selectors import assets as asset_selectors
from governance.services import assets as asset_services
from governance.services import owners

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
    owner = user_field(required=False)
    data_classification = serializers.ChoiceField(choices=Asset.Classification.choices, required=False)
    criticality = serializers.ChoiceField(choices=Asset.Criticality.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    vendor = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AssetUpdateInput(AssetInput):
    name = serializers.CharField(max_length=200, required=False)
    is_active = serializers.BooleanField(required=False, help_text="false deactivates, true reactivates.")


@extend_schema_view(
    list=extend_schema(summary="List assets"),
    retrieve=extend_schema(summary="One asset"),
    create=extend_schema(summary="Add an asset", request=AssetInput, responses={201: AssetOutput}),
    update=extend_schema(summary="Change an asset", request=AssetUpdateInput, responses=AssetOutput),
    partial_update=extend_schema(summary="Change an asset", request=AssetUpdateInput, responses=AssetOutput),
    bulk_owner=extend_schema(summary="Give many assets one owner", request=BulkOwnerInput, responses=ChangedOutput),
)
class AssetViewSet(BulkOwnerMixin, viewsets.GenericViewSet[Asset]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssetFilterSet
    permission_classes = [ModelPerms]
    perm_action_map = {"bulk_owner": "change"}
    owned_kind = owners.ASSETS
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
        assets = self.filter_queryset(self.get_queryset())
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


router.register("assets", AssetViewSet, basename="asset")
