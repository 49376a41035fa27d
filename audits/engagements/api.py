"""API of engagements, evidence, evidence requests and packs: the same selectors and services as the pages.

An auditor's rows come from the scope of their active engagements on every call, so their
API access ends with the engagement exactly as the pages' does.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from audits.engagements import packs as pack_services
from audits.engagements.selectors import (
    engagements_visible_to,
    evidence_visible_to,
    may_browse_audits,
    requests_visible_to,
)
from audits.models import Engagement, Evidence, EvidenceRequest, PackBuild
from core.api import router
from core.api_permissions import IsSignedIn
from core.errors import DomainError, NotFoundError


class MayBrowseAudits(IsSignedIn):
    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and may_browse_audits(request.user)


class EngagementOutput(serializers.ModelSerializer[Engagement]):
    auditors: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="email")
    frameworks: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="key")
    active = serializers.SerializerMethodField()

    class Meta:
        model = Engagement
        fields = ["id", "name", "description", "start", "end", "closed_at", "frameworks", "auditors", "active"]

    def get_active(self, obj: Engagement) -> bool:
        return obj.is_active()


class EvidenceOutput(serializers.ModelSerializer[Evidence]):
    class Meta:
        model = Evidence
        fields = [
            "id", "series", "version", "is_current", "title", "kind", "filename", "size", "sha256", "url",
            "note", "collected_on", "valid_until", "created_at",
        ]  # fmt: skip


class EvidenceRequestOutput(serializers.ModelSerializer[EvidenceRequest]):
    class Meta:
        model = EvidenceRequest
        fields = ["id", "engagement", "title", "description", "requirement", "control", "owner", "due_date", "status"]


class PackOutput(serializers.ModelSerializer[PackBuild]):
    class Meta:
        model = PackBuild
        fields = ["id", "engagement", "status", "size", "manifest_sha256", "key_id", "created_at", "finished_at", "run"]


class EngagementViewSet(viewsets.ReadOnlyModelViewSet[Engagement]):
    permission_classes = [MayBrowseAudits]
    serializer_class = EngagementOutput
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return engagements_visible_to(self.request.user).prefetch_related("auditors", "frameworks").order_by("pk")

    @extend_schema(request=None, responses={202: PackOutput})
    @action(detail=True, methods=["post"])
    def packs(self, request: Request, pk: str) -> Response:
        """Queue an evidence pack of the engagement; poll ``/api/v1/evidence-packs/{id}/``."""
        try:
            pack = pack_services.request_pack(actor=request.user, engagement=self.get_object())
        except NotFoundError as exc:
            raise NotFound(str(exc)) from exc
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(PackOutput(pack).data, status=status.HTTP_202_ACCEPTED)


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet[Evidence]):
    permission_classes = [MayBrowseAudits]
    serializer_class = EvidenceOutput
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return evidence_visible_to(self.request.user).order_by("pk")


class EvidenceRequestViewSet(viewsets.ReadOnlyModelViewSet[EvidenceRequest]):
    permission_classes = [MayBrowseAudits]
    serializer_class = EvidenceRequestOutput
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return requests_visible_to(self.request.user).order_by("pk")


class PackViewSet(viewsets.ReadOnlyModelViewSet[PackBuild]):
    permission_classes = [MayBrowseAudits]
    serializer_class = PackOutput
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        visible = engagements_visible_to(self.request.user).values("pk")
        return PackBuild.objects.filter(engagement__in=visible).order_by("pk")

    @extend_schema(responses={(200, "application/zip"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        """The finished pack (ZIP); the download is recorded in the audit trail."""
        try:
            pack = pack_services.pack_for_download(request.user, int(pk))
        except NotFoundError as exc:
            raise NotFound(str(exc)) from exc
        except DomainError as exc:
            raise PermissionDenied(str(exc)) from exc
        from audits.engagements.pack import packs_dir

        return FileResponse(
            open(packs_dir() / pack.path, "rb"),
            as_attachment=True,
            filename=f"pack-{pack.pk}.zip",
            content_type="application/zip",
        )


router.register("engagements", EngagementViewSet, basename="engagement")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("evidence-requests", EvidenceRequestViewSet, basename="evidence-request")
router.register("evidence-packs", PackViewSet, basename="evidence-pack")
