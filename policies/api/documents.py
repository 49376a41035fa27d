"""Policy API: the policies a caller may read, their versions, and acknowledging the published version.

- ``GET /policies/``: the pages' filters (``policies.filters.PolicyFilterSet``). Managers
  (``policies.change_policy``) get every policy with its audience size and acknowledgement count;
  anyone else with ``policies.view_policy`` the published policies addressed to them, with whether
  they acknowledged the published version.
- ``GET /policies/{id}/``, ``GET /policies/{id}/versions/``: one policy; its versions (managers: all,
  newest first; others: the published one), with the Markdown and its sanitised HTML.
- ``POST /policies/{id}/acknowledge/`` with optional ``version`` (its number; default: the published
  one): needs ``policies.acknowledge_policy`` and the policy addressed to the caller. 201 with the
  acknowledgement; 200 when it was acknowledged already; 400 when that version is not published.
"""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller as _caller
from access.api_input import validated as _valid
from core.api import router
from core.api_permissions import ModelPerms
from policies.documents.rendering import render_markdown
from policies.filters import PolicyFilterSet
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion
from policies.selectors import documents as selectors
from policies.services import documents as services


class PolicyOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    owner = serializers.EmailField(source="owner.email", allow_null=True, default=None)
    review_cycle_months = serializers.IntegerField()
    next_review_due = serializers.DateField(allow_null=True)
    review_overdue = serializers.BooleanField(source="is_review_overdue")
    published_version = serializers.IntegerField(source="published_number", allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    audience_count = serializers.IntegerField(
        allow_null=True, default=None, help_text="People who must acknowledge it (managers only)."
    )
    acknowledged_count = serializers.IntegerField(
        allow_null=True, default=None, help_text="Of them, who acknowledged the published version (managers only)."
    )
    acknowledged_percent = serializers.SerializerMethodField()
    acknowledged_by_me = serializers.BooleanField(
        allow_null=True, default=None, help_text="Whether you acknowledged the published version (readers only)."
    )

    def get_acknowledged_percent(self, policy: Policy) -> float | None:
        return selectors.rate(getattr(policy, "acknowledged_count", None), getattr(policy, "audience_count", None))


class VersionOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PolicyVersion.Status.choices)
    change_note = serializers.CharField()
    author = serializers.EmailField(source="author.email", allow_null=True, default=None)
    approver = serializers.EmailField(source="approver.email", allow_null=True, default=None)
    approved_at = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    body = serializers.CharField(help_text="Markdown.")
    html = serializers.SerializerMethodField(help_text="The Markdown as sanitised HTML.")

    def get_html(self, version: PolicyVersion) -> str:
        return render_markdown(version.body)


class AcknowledgeInput(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version's number; default: the published version."
    )


class AcknowledgementOutput(serializers.Serializer[Any]):
    policy = serializers.IntegerField(source="version.policy_id")
    version = serializers.IntegerField(source="version.number")
    user = serializers.EmailField(source="user.email")
    acknowledged_at = serializers.DateTimeField()


@extend_schema_view(
    list=extend_schema(summary="Policies you may read"),
    retrieve=extend_schema(summary="One policy"),
    versions=extend_schema(summary="A policy's versions you may read", responses=VersionOutput(many=True)),
    acknowledge=extend_schema(
        summary="Acknowledge the published version of a policy addressed to you",
        request=AcknowledgeInput,
        responses={200: AcknowledgementOutput, 201: AcknowledgementOutput},
    ),
)
class PolicyViewSet(viewsets.GenericViewSet[Policy]):
    filter_backends = [DjangoFilterBackend]
    filterset_class = PolicyFilterSet
    permission_classes = [ModelPerms]
    perm_action_map = {"versions": "view", "acknowledge": "acknowledge"}
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    serializer_class = PolicyOutput

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Policy.objects.none()
        return selectors.policies_visible_to(_caller(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(PolicyOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(PolicyOutput(self.get_object()).data)

    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request: Request, pk: str) -> Response:
        versions = selectors.versions_of(_caller(request), self.get_object())
        return Response(VersionOutput(versions, many=True).data)

    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        user = _caller(request)
        data = _valid(AcknowledgeInput, request.data)
        policy = self.get_object()
        visible = selectors.versions_of(user, policy)
        number = data.get("version")
        version = visible.filter(number=number).first() if number else visible.filter(status="published").first()
        if version is None:
            if number:
                raise ValidationError({"version": [f"Policy {policy.pk} has no version {number} you can read."]})
            raise NotFound("This policy has no published version.")
        known = PolicyAcknowledgement.objects.filter(version=version, user=user).exists()
        ack = services.acknowledge(actor=user, version=version)
        code = status.HTTP_200_OK if known else status.HTTP_201_CREATED
        return Response(AcknowledgementOutput(ack).data, status=code)


router.register("policies", PolicyViewSet, basename="policy")
