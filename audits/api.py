"""The audit-trail API: read-only, for holders of ``access.view_audit_trail``.

``/api/v1/audit-entries/`` lists entries newest first with the same filters as the
page (``actor``, ``object_type`` as ``app_label.model``, ``object_id``, ``action``,
``date_from``, ``date_to``); ``/api/v1/audit-entries/{id}/`` is one entry with its
hashes. Bad filters are a 400 naming the parameter.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_permissions import HasRequiredPerm
from audits.models import LogEntry
from audits.pagination import TrailPageNumberPagination
from audits.selectors import (
    ACTION_LABELS,
    ACTION_NAMES,
    VIEW_AUDIT_TRAIL,
    TrailFilters,
    audited_content_types,
    entries_visible_to,
)
from workbench.api import router


class AuditEntryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField(help_text="Position in the hash chain, from 1, without gaps.")
    timestamp = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True, help_text="The user who made the change; null for the system.")
    actor_email = serializers.CharField(allow_null=True, help_text="The actor's email when the change was made.")
    action = serializers.SerializerMethodField()
    object_type = serializers.SerializerMethodField()
    object_id = serializers.CharField(source="object_pk")
    object_repr = serializers.CharField()
    changes = serializers.JSONField(
        allow_null=True, help_text='Field name to ["before", "after"]; many-to-many changes list the objects.'
    )
    remote_addr = serializers.IPAddressField(allow_null=True)
    correlation_id = serializers.CharField(source="cid", allow_null=True)
    additional_data = serializers.JSONField(
        allow_null=True, help_text="Context outside a request: how the change was made (via) and the OS user."
    )
    prev_hash = serializers.CharField(help_text="SHA-256 of the entry before (64 zeros for the first).")
    entry_hash = serializers.CharField(help_text="SHA-256 over this entry's canonical content.")

    @extend_schema_field(serializers.ChoiceField(choices=list(ACTION_NAMES)))
    def get_action(self, entry: LogEntry) -> str:
        return ACTION_LABELS.get(entry.action, str(entry.action))

    @extend_schema_field(serializers.CharField(help_text="The audited model as app_label.model."))
    def get_object_type(self, entry: LogEntry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


class AuditEntryFilterInput(serializers.Serializer[Any]):
    actor = serializers.CharField(required=False, max_length=254, help_text="Part of the actor's email address.")
    object_type = serializers.CharField(
        required=False, max_length=200, help_text="An audited model as app_label.model, e.g. access.user."
    )
    object_id = serializers.CharField(required=False, max_length=255)
    action = serializers.ChoiceField(choices=list(ACTION_NAMES), required=False)
    date_from = serializers.DateField(required=False, help_text="From this day (local time), inclusive.")
    date_to = serializers.DateField(required=False, help_text="Up to this day (local time), inclusive.")

    def validate_object_type(self, value: str) -> ContentType:
        app_label, _, model = value.strip().lower().partition(".")
        content_type = audited_content_types().filter(app_label=app_label, model=model).first()
        if content_type is None:
            raise serializers.ValidationError("Not an audited object type; use app_label.model, e.g. access.user.")
        return content_type

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and end < start:
            raise serializers.ValidationError({"date_to": "The end date must not be before the start date."})
        return attrs

    def to_filters(self) -> TrailFilters:
        data = self.validated_data
        content_type = data.get("object_type")
        return TrailFilters(
            actor=data.get("actor", "").strip(),
            content_type_id=content_type.pk if content_type is not None else None,
            object_id=data.get("object_id", "").strip(),
            action=ACTION_NAMES[data["action"]] if data.get("action") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@extend_schema_view(
    list=extend_schema(
        summary="List audit-trail entries",
        parameters=[AuditEntryFilterInput],
        responses=AuditEntryOutput(many=True),
    ),
    retrieve=extend_schema(summary="One audit-trail entry", responses=AuditEntryOutput),
)
class AuditEntryViewSet(viewsets.GenericViewSet[LogEntry]):
    """The audit trail, read-only."""

    permission_classes = [HasRequiredPerm]
    required_perm = VIEW_AUDIT_TRAIL
    queryset = LogEntry.objects.none()
    pagination_class = TrailPageNumberPagination
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return entries_visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        filters = AuditEntryFilterInput(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.to_filters()
        if isinstance(self.paginator, TrailPageNumberPagination):
            self.paginator.whole_trail = wanted.is_empty
        page = self.paginate_queryset(entries_visible_to(request.user, wanted))
        return self.get_paginated_response(AuditEntryOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AuditEntryOutput(self.get_object()).data)


router.register("audit-entries", AuditEntryViewSet, basename="audit-entry")
