"""The audit-trail API: read-only, for holders of ``access.view_audit_trail``.

``/api/v1/audit-entries/`` lists entries newest first with the same filters as the
page (``actor``, ``object_type`` as ``app_label.model``, ``object_id``, ``action``,
``date_from``, ``date_to``); ``/api/v1/audit-entries/{id}/`` is one entry with its
hashes. Bad filters are a 400 naming the parameter.
"""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from audits.display import describe_entries
from audits.filters import TrailFilterSet
from audits.models import LogEntry
from audits.pagination import TrailPageNumberPagination
from audits.selectors import (
    ACTION_LABELS,
    ACTION_NAMES,
    can_view_audit_trail,
    entries_visible_to,
    may_read_trail,
)
from core.api import router
from core.api_permissions import IsSignedIn


class ChangeOutput(serializers.Serializer[Any]):
    field = serializers.CharField(help_text="The field's name, as in ``changes``.")
    label = serializers.CharField(help_text="The field's label, as the pages show it.")  # type: ignore[assignment]
    before = serializers.CharField(help_text="The value before, as people read it; empty if none.")
    after = serializers.CharField(help_text="The value after, as people read it; empty if none.")


class AuditEntryOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField(help_text="Position in the hash chain, from 1, without gaps.")
    timestamp = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True, help_text="The user who made the change; null for the system.")
    actor_email = serializers.CharField(allow_null=True, help_text="The actor's email when the change was made.")
    actor_label = serializers.CharField(
        source="readable_actor",
        help_text="Who made the change as the pages say it: the person, the email typed at a failed sign-in, "
        "or the command line or scheduler.",
    )
    action = serializers.SerializerMethodField()
    object_type = serializers.SerializerMethodField()
    object_id = serializers.CharField(source="object_pk")
    object_repr = serializers.CharField()
    changes = serializers.JSONField(
        allow_null=True, help_text='Field name to ["before", "after"]; many-to-many changes list the objects.'
    )
    changes_readable = serializers.SerializerMethodField(
        help_text="The same changes with labels, names and choice labels."
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

    @extend_schema_field(ChangeOutput(many=True))
    def get_changes_readable(self, entry: LogEntry) -> list[dict[str, str]]:
        """As ``ChangeOutput(many=True)`` would give them, without a serializer per change (50 entries hold
        hundreds of changes: that cost 3 ms a page)."""
        return [
            {"field": c.field, "label": c.label, "before": c.before, "after": c.after}
            for c in entry.readable_changes  # type: ignore[attr-defined]
        ]


class MayReadTrail(IsSignedIn):
    """Trail readers, and auditors while an engagement they audit is in progress (its scope only)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and may_read_trail(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List audit-trail entries",
        responses=AuditEntryOutput(many=True),
    ),
    retrieve=extend_schema(summary="One audit-trail entry", responses=AuditEntryOutput),
)
class AuditEntryViewSet(viewsets.GenericViewSet[LogEntry]):
    """The audit trail, read-only."""

    permission_classes = [MayReadTrail]
    queryset = LogEntry.objects.none()
    pagination_class = TrailPageNumberPagination
    lookup_value_regex = "[0-9]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = TrailFilterSet

    def get_queryset(self) -> Any:
        return entries_visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        filterset = TrailFilterSet(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        if isinstance(self.paginator, TrailPageNumberPagination):
            whole = can_view_audit_trail(request.user)  # an auditor's entries are a part of the chain
            self.paginator.whole_trail = whole and filterset.to_filters().is_empty
        page = describe_entries(self.paginate_queryset(filterset.qs) or [])
        return self.get_paginated_response(AuditEntryOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AuditEntryOutput(describe_entries([self.get_object()])[0]).data)


router.register("audit-entries", AuditEntryViewSet, basename="audit-entry")


# Engagements, evidence, evidence requests and packs register their viewsets on import.
from audits.engagements import api as _engagements_api  # noqa: E402, F401
