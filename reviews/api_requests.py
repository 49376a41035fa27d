"""Access requests through the API: ask, list one's own or those waiting, approve, reject.

- ``GET /api/v1/access-requests/``: the caller's own requests;
  ``GET /api/v1/access-requests/pending/``: requests waiting for the caller's decision (approvers:
  Administrators and IT administrators; anyone else gets 403).
- ``POST /api/v1/access-requests/`` with either ``role`` or ``kind`` + ``ref`` + ``action`` (a
  permission on one control or risk), and ``reason`` and ``hours``: anyone signed in may ask.
- ``POST /api/v1/access-requests/{id}/approve/`` and ``.../reject/`` with an optional ``note``:
  an approver other than the requester. Granted access ends by itself (``access.backends``).

The same services as the pages; bad input is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from access.models import Role
from core.api import router
from core.api_parsers import JSONParser
from core.api_permissions import IsSignedIn
from core.errors import PermissionDeniedError
from reviews import requests_selectors as selectors
from reviews.models import AccessRequest
from reviews.services import requests as services

ACTIONS = sorted({a for _, actions in services.REQUESTABLE.values() for a in actions})


class RequestedObjectOutput(serializers.Serializer[Any]):
    kind = serializers.CharField(source="object_kind")
    id = serializers.CharField(source="object_pk")
    ref = serializers.CharField(source="object_ref", help_text="Empty when the object was deleted.")


class AccessRequestOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    requester = serializers.EmailField(source="requester.email")
    role = serializers.CharField(help_text="The role asked for; empty for a permission on an object.")
    permission = serializers.CharField(help_text="app_label.codename on ``object``; empty for a role.")
    object = serializers.SerializerMethodField()
    reason = serializers.CharField()
    hours = serializers.IntegerField(source="duration_hours")
    break_glass = serializers.BooleanField()
    status = serializers.ChoiceField(choices=AccessRequest.Status.choices)
    created_at = serializers.DateTimeField()
    decided_by = serializers.EmailField(source="decided_by.email", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    expires_at = serializers.SerializerMethodField()

    @extend_schema_field(RequestedObjectOutput(allow_null=True))
    def get_object(self, row: AccessRequest) -> dict[str, Any] | None:
        if row.role:
            return None
        return dict(RequestedObjectOutput(row).data)

    @extend_schema_field(serializers.DateTimeField(allow_null=True, help_text="When granted access ends."))
    def get_expires_at(self, row: AccessRequest) -> str | None:
        grant = getattr(row, "grant", None) if row.status != AccessRequest.Status.PENDING else None
        return None if grant is None else serializers.DateTimeField().to_representation(grant.expires_at)


class AccessRequestInput(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="Ask for this role, or:")
    kind = serializers.ChoiceField(choices=list(services.REQUESTABLE), required=False, help_text="a control or a risk,")
    ref = serializers.CharField(max_length=50, required=False, help_text="named by its reference,")
    action = serializers.ChoiceField(choices=ACTIONS, required=False, help_text="to view or change it.")
    reason = serializers.CharField(max_length=2000)
    hours = serializers.IntegerField(min_value=1, max_value=services.MAX_HOURS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        on_object = [name for name in ("kind", "ref", "action") if name in attrs]
        if "role" in attrs and on_object:
            raise serializers.ValidationError({"role": "Ask for either a role or a permission on an object, not both."})
        if "role" not in attrs:
            missing = [name for name in ("kind", "ref", "action") if name not in attrs]
            if missing:
                raise serializers.ValidationError(
                    dict.fromkeys(missing, "Required, with kind, ref and action (or give a role).")
                )
        return attrs


class AccessDecisionInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _out(request: AccessRequest, code: int = status.HTTP_200_OK) -> Response:
    row = selectors.with_object_labels([selectors.requests_visible_to(request.requester).get(pk=request.pk)])[0]
    return Response(AccessRequestOutput(row).data, status=code)


@extend_schema_view(
    list=extend_schema(summary="Your access requests", responses=AccessRequestOutput(many=True)),
    create=extend_schema(
        summary="Ask for a role or a permission on a control or risk",
        request=AccessRequestInput,
        responses={201: AccessRequestOutput},
    ),
    pending=extend_schema(
        summary="Access requests waiting for your decision", responses=AccessRequestOutput(many=True)
    ),
    approve=extend_schema(
        summary="Grant an access request", request=AccessDecisionInput, responses=AccessRequestOutput
    ),
    reject=extend_schema(
        summary="Refuse an access request", request=AccessDecisionInput, responses=AccessRequestOutput
    ),
)
class AccessRequestViewSet(viewsets.GenericViewSet[AccessRequest]):
    permission_classes = [IsSignedIn]
    parser_classes = [JSONParser]
    serializer_class = AccessRequestOutput
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return AccessRequest.objects.none()
        return selectors.requests_visible_to(_caller(self.request))

    def _page(self, rows: Any) -> Response:
        page = self.paginate_queryset(rows)
        labelled = selectors.with_object_labels(page or [])
        return self.get_paginated_response(AccessRequestOutput(labelled, many=True).data)

    def list(self, request: Request) -> Response:
        return self._page(selectors.own_requests(_caller(request)))

    def create(self, request: Request) -> Response:
        data = _valid(AccessRequestInput, request.data)
        user = _caller(request)
        try:
            if "role" in data:
                role, reason, hours = data["role"], data["reason"], data["hours"]
                made = services.request_access(actor=user, role=role, reason=reason, hours=hours)
            else:
                made = services.request_object_access(
                    actor=user,
                    kind=data["kind"],
                    ref=data["ref"],
                    action=data["action"],
                    reason=data["reason"],
                    hours=data["hours"],
                )
        except services.RequestInputError as exc:
            return Response({exc.field: [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return _out(made, status.HTTP_201_CREATED)

    @action(detail=False, methods=["get"])
    def pending(self, request: Request) -> Response:
        user = _caller(request)
        if not selectors.may_decide(user):
            raise PermissionDeniedError("Only approvers (Administrators, IT administrators) decide access requests.")
        return self._page(selectors.pending_for(user))

    def _decide(self, request: Request, *, approve: bool) -> Response:
        data = _valid(AccessDecisionInput, request.data)
        decided = services.decide_access_request(
            actor=_caller(request), request=self.get_object(), approve=approve, note=data["note"]
        )
        return _out(decided)

    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(request, approve=True)

    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, approve=False)


router.register("access-requests", AccessRequestViewSet, basename="access-request")
