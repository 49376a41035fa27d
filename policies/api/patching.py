"""Patch-check API: inventories (a host pushes its own), findings, advisories, the patch policy, check runs.

- ``POST /inventories/``: multipart ``file`` + ``asset`` (its name; created when missing) +
  optional ``format``, ``release`` (``debian:12``), ``scope``. Imports the inventory and checks
  the asset at once; answers 201 with the inventory and the check's counts, or 400 naming the line
  or JSON path that is wrong (nothing imported). Needs ``policies.add_inventory`` (and
  ``governance.add_asset`` for a new asset): IT administrators and Administrators, with a
  personal token (``Authorization: Bearer rmp_...``) from cron.
- ``GET /inventories/``, ``/patch-findings/``, ``/advisories/``: the pages' filters
  (``policies.filters``); ``POST /patch-findings/{id}/accept/`` with ``exception``.
- ``GET``/``PUT /patch-policy/``: the SLA days; ``GET /patch-check-runs/``: the runs and their counts.
"""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from core.api import SingleObjectSchema, router
from core.api_permissions import HasRequiredPerm, ModelPerms
from governance.models import ComplianceException
from policies.filters import AdvisoryFilterSet, InventoryFilterSet, PatchFindingFilterSet
from policies.models import Advisory, Inventory, PatchCheckRun, PatchFinding, PatchPolicy, Severity
from policies.patching.inventories import FORMATS
from policies.selectors import patching as selectors
from policies.services import patch_findings as finding_services
from policies.services.inventories import InventoryImportError, import_inventory

# --- Inventories ---


class InventoryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    asset = serializers.IntegerField(source="asset_id")
    asset_name = serializers.CharField(source="asset.name")
    scope = serializers.CharField()
    format = serializers.ChoiceField(choices=Inventory.Format.choices)
    release = serializers.CharField()
    collected_at = serializers.DateTimeField()
    uploaded_by = serializers.EmailField(source="uploaded_by.email", allow_null=True, default=None)
    via = serializers.ChoiceField(choices=Inventory.Via.choices)
    filename = serializers.CharField()
    package_count = serializers.IntegerField()
    is_current = serializers.BooleanField()
    notes = serializers.ListField(child=serializers.CharField())


class CheckOutput(serializers.Serializer[Any]):
    new = serializers.IntegerField(source="new_findings")
    fixed = serializers.IntegerField(source="fixed_findings")
    open = serializers.IntegerField(source="open_findings")
    overdue = serializers.IntegerField(source="overdue_findings")
    compliance = serializers.FloatField(allow_null=True, help_text="Per cent of the asset's findings within SLA.")


class InventoryImportOutput(serializers.Serializer[Any]):
    inventory = InventoryOutput()
    check = CheckOutput()


class InventoryInput(serializers.Serializer[Any]):
    file = serializers.FileField(
        help_text="dpkg-query output, pip inspect/freeze, package-lock.json or CycloneDX JSON."
    )
    asset = serializers.CharField(max_length=200, help_text="The asset's name; created when no asset has it.")
    format = serializers.ChoiceField(choices=list(FORMATS), required=False, help_text="Default: detected.")
    release = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        help_text="Debian release, e.g. debian:12 (default: the asset's).",
    )
    scope = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="What part of the asset (default: the format)."
    )


@extend_schema_view(
    list=extend_schema(summary="Inventories (newest first)"),
    retrieve=extend_schema(summary="One inventory"),
    create=extend_schema(
        summary="Import an asset's inventory and check the asset",
        request={"multipart/form-data": InventoryInput},
        responses={201: InventoryImportOutput},
    ),
)
class InventoryViewSet(viewsets.GenericViewSet[Inventory]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = InventoryFilterSet
    permission_classes = [ModelPerms]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = InventoryOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Inventory.objects.none()
        return selectors.inventories_visible_to(_caller(self.request)).order_by("-collected_at", "-pk")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(InventoryOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(InventoryOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = _valid(InventoryInput, request.data)
        upload = data["file"]
        try:
            result = import_inventory(
                actor=_caller(request),
                asset_name=data["asset"],
                data=upload.read(),
                format_name=data.get("format"),
                release=data.get("release") or None,
                scope=data.get("scope") or "",
                filename=upload.name or "",
                via=Inventory.Via.API,
            )
        except InventoryImportError as exc:
            return Response({"file": [str(exc)], "location": exc.location}, status=status.HTTP_400_BAD_REQUEST)
        inventory = self.get_queryset().get(pk=result.inventory.pk)
        body = {"inventory": InventoryOutput(inventory).data, "check": CheckOutput(result.check).data}
        return Response(body, status=status.HTTP_201_CREATED)


# --- Findings ---


class PatchFindingOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    asset = serializers.IntegerField(source="asset_id")
    asset_name = serializers.CharField(source="asset.name")
    ecosystem = serializers.CharField()
    package = serializers.CharField()
    installed_version = serializers.CharField()
    fixed_in = serializers.CharField()
    vulnerability = serializers.CharField(source="vulnerability_id")
    advisory = serializers.CharField(help_text="The advisory the finding is known by.")
    advisories = serializers.ListField(source="advisory_ids", child=serializers.CharField())
    aliases = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    cvss_score = serializers.FloatField(allow_null=True)
    known_exploited = serializers.BooleanField()
    status = serializers.ChoiceField(choices=PatchFinding.Status.choices)
    first_seen = serializers.DateField()
    due_date = serializers.DateField()
    overdue = serializers.BooleanField(source="is_overdue")
    fixed_at = serializers.DateTimeField(allow_null=True)
    fixed_version = serializers.CharField()
    exception = serializers.IntegerField(source="exception_id", allow_null=True)


class AcceptInput(serializers.Serializer[Any]):
    exception = serializers.PrimaryKeyRelatedField(
        queryset=ComplianceException.objects.all(), help_text="An approved exception in force."
    )


@extend_schema_view(
    list=extend_schema(summary="Patch findings"),
    retrieve=extend_schema(summary="One patch finding"),
    accept=extend_schema(
        summary="Accept an open finding under an approved exception", request=AcceptInput, responses=PatchFindingOutput
    ),
)
class PatchFindingViewSet(viewsets.GenericViewSet[PatchFinding]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = PatchFindingFilterSet
    permission_classes = [ModelPerms]
    perm_action_map = {"accept": "accept"}
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = PatchFindingOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return PatchFinding.objects.none()
        return selectors.findings_visible_to(_caller(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PatchFindingOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PatchFindingOutput(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        data = _valid(AcceptInput, request.data)
        finding = finding_services.accept_finding(
            actor=_caller(request), finding=self.get_object(), exception=data["exception"]
        )
        return Response(PatchFindingOutput(self.get_queryset().get(pk=finding.pk)).data)


# --- Advisories ---


class AdvisoryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    advisory_id = serializers.CharField()
    vulnerability = serializers.CharField(source="vulnerability_id")
    aliases = serializers.ListField(child=serializers.CharField())
    source = serializers.ChoiceField(choices=Advisory.Source.choices)  # type: ignore[assignment]
    summary = serializers.CharField()
    packages = serializers.CharField(source="package_summary")
    severity = serializers.ChoiceField(choices=Severity.choices)
    cvss_score = serializers.FloatField(allow_null=True)
    cvss_vector = serializers.CharField()
    known_exploited = serializers.BooleanField()
    published = serializers.DateTimeField(allow_null=True)
    modified = serializers.DateTimeField(allow_null=True)
    withdrawn = serializers.DateTimeField(allow_null=True)


@extend_schema_view(list=extend_schema(summary="Advisories"), retrieve=extend_schema(summary="One advisory"))
class AdvisoryViewSet(viewsets.ReadOnlyModelViewSet[Advisory]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = AdvisoryFilterSet
    permission_classes = [ModelPerms]
    lookup_value_regex = "[0-9]+"
    serializer_class = AdvisoryOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Advisory.objects.none()
        return selectors.advisories_visible_to(_caller(self.request))


# --- The patch policy ---


class PatchPolicyOutput(serializers.Serializer[Any]):
    known_exploited_days = serializers.IntegerField()
    critical_days = serializers.IntegerField()
    high_days = serializers.IntegerField(help_text="Also for an unknown severity.")
    medium_days = serializers.IntegerField()
    low_days = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class PatchPolicyInput(serializers.Serializer[Any]):
    known_exploited_days = serializers.IntegerField(min_value=0, max_value=finding_services.MAX_SLA_DAYS)
    critical_days = serializers.IntegerField(min_value=0, max_value=finding_services.MAX_SLA_DAYS)
    high_days = serializers.IntegerField(min_value=0, max_value=finding_services.MAX_SLA_DAYS)
    medium_days = serializers.IntegerField(min_value=0, max_value=finding_services.MAX_SLA_DAYS)
    low_days = serializers.IntegerField(min_value=0, max_value=finding_services.MAX_SLA_DAYS)


class PatchPolicyPerm(HasRequiredPerm):
    def _required(self, view: Any) -> str | None:
        method = view.request.method if getattr(view, "request", None) is not None else "GET"
        return "policies.view_patchpolicy" if method in ("GET", "HEAD", "OPTIONS") else "policies.change_patchpolicy"


class PatchPolicyViewSet(viewsets.ViewSet):
    permission_classes = [PatchPolicyPerm]
    parser_classes = [JSONParser]
    schema = SingleObjectSchema()

    @extend_schema(
        operation_id="patch_policy_retrieve", summary="The patch policy (SLA days)", responses=PatchPolicyOutput
    )
    def list(self, request: Request) -> Response:
        return Response(PatchPolicyOutput(PatchPolicy.current()).data)

    @extend_schema(
        operation_id="patch_policy_replace",
        summary="Set the SLA days; the due dates of live findings follow",
        request=PatchPolicyInput,
        responses=PatchPolicyOutput,
    )
    def replace(self, request: Request) -> Response:
        data = _valid(PatchPolicyInput, request.data)
        policy = finding_services.update_patch_policy(actor=_caller(request), days=data)
        return Response(PatchPolicyOutput(policy).data)


# --- Check runs ---


class PatchCheckRunOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    asset = serializers.IntegerField(source="asset_id", allow_null=True, help_text="null: every asset.")
    via = serializers.CharField()
    assets_checked = serializers.IntegerField()
    packages_checked = serializers.IntegerField()
    advisories_indexed = serializers.IntegerField()
    new_findings = serializers.IntegerField()
    fixed_findings = serializers.IntegerField()
    open_findings = serializers.IntegerField()
    overdue_findings = serializers.IntegerField()
    new_critical = serializers.IntegerField()
    compliance = serializers.FloatField(allow_null=True)
    seconds = serializers.FloatField()


@extend_schema_view(
    list=extend_schema(summary="Patch-check runs, newest first"),
    retrieve=extend_schema(summary="One patch-check run", responses={200: PatchCheckRunOutput, 404: OpenApiResponse()}),
)
class PatchCheckRunViewSet(viewsets.ReadOnlyModelViewSet[PatchCheckRun]):
    permission_classes = [ModelPerms]
    lookup_value_regex = "[0-9]+"
    serializer_class = PatchCheckRunOutput

    def get_queryset(self) -> Any:
        return PatchCheckRun.objects.all()


router.register("inventories", InventoryViewSet, basename="inventory")
router.register("patch-findings", PatchFindingViewSet, basename="patch-finding")
router.register("advisories", AdvisoryViewSet, basename="advisory")
router.register("patch-policy", PatchPolicyViewSet, basename="patch-policy")
router.register("patch-check-runs", PatchCheckRunViewSet, basename="patch-check-run")
