"""Governance API for frameworks: viewsets registered on core.api.router.

- ``/api/v1/frameworks/``: list (the Frameworks page's search, filters and order: ``q``,
  ``source``, ``owner``, ``sort``; a bad value is a 400 naming the parameter) and retrieve;
  ``POST /api/v1/frameworks/import/``
  uploads a framework file (multipart ``file``, optional ``format``, ``allow_older`` to let
  an older version replace the imported one), queues its import and answers 202 with the
  job run (follow ``url`` until it is finished: its ``result`` holds the import
  report, or every problem of the file with location, field and message). A request
  without a usable file (missing, empty, too large, unknown format) is a 400 at once.
- ``/api/v1/requirements/``: list (the Requirements page's filters: ``framework`` (a key),
  ``applicable``, ``removed``, ``controls``, ``kind``, ``owner``, ``q``, ``sort``),
  retrieve, and ``PATCH`` of the applicability decision through the same service as the pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller
from core.api import router
from core.errors import DomainError
from governance.api.owners import BulkOwnerMixin
from governance.api.scoped import ScopedModelPerms
from governance.filters import FrameworkFilterSet, RequirementFilterSet
from governance.importers import FORMATS
from governance.models import Framework, Requirement
from governance.selectors import frameworks as selectors
from governance.selectors.pickers import person_shown_to
from governance.services import framework_imports, owners
from governance.services import frameworks as services
from jobs.api import JobRunOutput

# --- Serializers ---


class FrameworkOutput(serializers.ModelSerializer[Framework]):
    requirement_count = serializers.IntegerField(read_only=True, help_text="Current requirements (not sections).")
    applicable_count = serializers.IntegerField(read_only=True)
    removed_count = serializers.IntegerField(read_only=True, help_text="Requirements removed by later versions.")
    imported_by = serializers.SerializerMethodField(
        help_text="Email of who imported it; to callers who may not see users, only their own (else masked)."
    )

    class Meta:
        model = Framework
        fields = [
            "id",
            "key",
            "name",
            "version",
            "publisher",
            "description",
            "source",
            "imported_at",
            "imported_by",
            "owner",
            "requirement_count",
            "applicable_count",
            "removed_count",
        ]
        read_only_fields = fields

    def get_imported_by(self, obj: Framework) -> str | None:
        if obj.imported_by is None:
            return None
        viewer = getattr(self.context.get("request"), "user", None)
        if viewer is None:
            return None  # no caller known: name nobody
        return person_shown_to(viewer)(obj.imported_by)


class RequirementOutput(serializers.ModelSerializer[Requirement]):
    framework: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="key", read_only=True)
    parent_ref_id = serializers.SerializerMethodField()
    control_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "framework",
            "ref_id",
            "parent_ref_id",
            "reference",
            "title",
            "text",
            "guidance",
            "is_section",
            "order",
            "depth",
            "applicable",
            "justification",
            "removed_at",
            "owner",
            "control_count",
        ]
        read_only_fields = fields

    def get_parent_ref_id(self, obj: Requirement) -> str | None:
        return obj.parent.ref_id if obj.parent_id and obj.parent else None


class ApplicabilityInput(serializers.Serializer[Any]):
    applicable = serializers.BooleanField(required=False)
    justification = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Required when applicable is false."
    )


class ImportInput(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="Rampart YAML or CSV, or an OSCAL catalog (JSON).")
    format = serializers.ChoiceField(
        choices=list(FORMATS), required=False, help_text="Detected from the file name and content when left out."
    )
    allow_older = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Confirm that a file older than the imported version of its framework replaces it (the requirements "
            "only the newer version has are marked removed). Without it such a file fails with an error on the "
            "field `version`."
        ),
    )


class ImportIssueOutput(serializers.Serializer[Any]):
    location = serializers.CharField(help_text="Line (YAML), row (CSV) or JSON path (OSCAL).")
    field = serializers.CharField()
    message = serializers.CharField()


class ImportErrorOutput(serializers.Serializer[Any]):
    detail = serializers.CharField()
    errors = ImportIssueOutput(many=True)  # type: ignore[assignment]


# --- Views ---


@extend_schema_view(
    list=extend_schema(
        summary="Frameworks you may see",
        description="Filtered and sorted like the Frameworks page. A bad filter value is a 400 naming the parameter.",
    ),
    retrieve=extend_schema(summary="One framework"),
    bulk_owner=extend_schema(summary="Give many frameworks one owner"),
)
class FrameworkViewSet(BulkOwnerMixin, viewsets.ReadOnlyModelViewSet[Framework]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = FrameworkFilterSet
    serializer_class = FrameworkOutput
    permission_classes = [ScopedModelPerms]
    perm_action_map = {"import_file": "add", "bulk_owner": "change"}
    owned_kind = owners.FRAMEWORKS

    def get_queryset(self) -> QuerySet[Framework]:
        return selectors.frameworks_visible_to(user=caller(self.request)).order_by("name", "pk")

    @extend_schema(
        summary="Queue the import of a framework file",
        description=(
            "Checks the upload (present, not empty, at most 20 MB, a known format) and queues its import; "
            "the scheduler creates the framework, or updates it when its key exists (requirements matched "
            "by ref_id; missing ones are marked removed). Answers 202 with the job run: poll its `url` until "
            "`status` is `succeeded` (`result.report` holds the counts) or `failed` (`result.issues` lists "
            "every problem of the file, with location, field and message; nothing was written)."
        ),
        request={"multipart/form-data": ImportInput},
        responses={
            202: OpenApiResponse(JobRunOutput, description="Queued; follow the run's url or progress_url."),
            400: OpenApiResponse(ImportErrorOutput, description="The request was refused; every problem is listed."),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def import_file(self, request: Request) -> Response:
        form = ImportInput(data=request.data)
        if not form.is_valid():
            return _refused([(name, str(m)) for name, messages in form.errors.items() for m in messages])
        upload = form.validated_data["file"]
        fmt = form.validated_data.get("format")
        try:
            # Checked before reading, so a too-large file is refused without being read into memory.
            framework_imports.check_upload(size=upload.size or 0, filename=upload.name or "", fmt=fmt)
            run = framework_imports.queue_framework_import(
                actor=request.user,  # type: ignore[arg-type]
                data=upload.read(),
                filename=upload.name or "",
                fmt=fmt,
                allow_older=form.validated_data["allow_older"],
            )
        except ValidationError as exc:
            return _refused([(name, str(m)) for name, messages in exc.message_dict.items() for m in messages])
        except DomainError as exc:
            return Response({"detail": str(exc), "errors": []}, status=exc.status_code)
        return Response(JobRunOutput(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="Requirements you may see",
    ),
    retrieve=extend_schema(summary="One requirement"),
    bulk_owner=extend_schema(summary="Give many requirements one owner"),
    partial_update=extend_schema(
        summary="Set the applicability of a requirement",
        request=ApplicabilityInput,
        responses={200: RequirementOutput},
    ),
)
class RequirementViewSet(
    BulkOwnerMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Requirement],
):
    filter_backends = [DjangoFilterBackend]
    filterset_class = RequirementFilterSet
    serializer_class = RequirementOutput
    permission_classes = [ScopedModelPerms]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    http_method_names = ["get", "post", "patch", "head", "options"]
    perm_action_map = {"bulk_owner": "change"}
    owned_kind = owners.REQUIREMENTS

    def get_queryset(self) -> QuerySet[Requirement]:
        return selectors.requirements_visible_to(user=caller(self.request)).order_by("framework__name", "order", "pk")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        requirement = self.get_object()
        form = ApplicabilityInput(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.set_requirement_applicability(
            actor=request.user,  # type: ignore[arg-type]
            requirement=requirement,
            applicable=data.get("applicable", requirement.applicable),
            justification=data.get("justification", requirement.justification),
        )
        return Response(RequirementOutput(self.get_object()).data)


def _refused(problems: list[tuple[str, str]]) -> Response:
    """400 with every problem of the request, in the shape of a refused file's problems."""
    issues = [{"location": "request", "field": name, "message": message} for name, message in problems]
    return Response({"detail": "The request was refused; see errors.", "errors": issues}, status=400)


router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("requirements", RequirementViewSet, basename="requirement")
