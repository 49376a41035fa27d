"""``POST .../bulk-owner/`` (``.../bulk-assign/`` for control tests) on the lists whose owners are
named responsibility: frameworks, requirements, exceptions and planned control tests.

The ids must all be objects the caller can see; one that is not is a 400 naming it, and
nothing changes. The service checks the permission to change them (else 403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from access.api_input import caller, validated
from access.models import User
from core.permissions import require_perm
from governance.services import owners

MAX_IDS = 1000


def _ids() -> Any:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=MAX_IDS
    )


def _person(help_text: str) -> Any:
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, help_text=help_text)


class BulkOwnerInput(serializers.Serializer[Any]):
    ids = _ids()
    owner = _person("The new owner's user id; null clears the owner.")


class BulkAssigneeInput(serializers.Serializer[Any]):
    ids = _ids()
    assignee = _person("Who is to perform the tests; null leaves them to the control's owner.")


class ChangedOutput(serializers.Serializer[Any]):
    changed = serializers.IntegerField(help_text="How many objects changed hands.")


def rows_you_can_see(queryset: QuerySet[Any], ids: list[int], noun: str) -> list[Any]:
    """The rows of ``queryset`` with these ids; a 400 naming the ids it does not hold."""
    wanted = list(dict.fromkeys(ids))
    found = list(queryset.filter(pk__in=wanted).select_related())
    unknown = sorted(set(wanted) - {row.pk for row in found})
    if unknown:
        listed = ", ".join(str(pk) for pk in unknown[:20])
        raise ValidationError({"ids": [f"No such {noun} you can see: {listed}."]})
    return found


def _assign(view: Any, request: Request, kind: owners.OwnedKind, data: dict[str, Any]) -> Response:
    require_perm(caller(request), kind.perm)  # a 403 before saying which ids exist
    found = rows_you_can_see(view.get_queryset(), data["ids"], kind.noun)
    changed = owners.bulk_assign(actor=caller(request), kind=kind, objects=found, person=data[kind.field])
    return Response({"changed": changed})


class BulkOwnerMixin:
    """Adds ``POST bulk-owner/``; the viewset names its ``owned_kind`` and maps the action to "change"."""

    owned_kind: owners.OwnedKind

    @extend_schema(summary="Give many of them one owner", request=BulkOwnerInput, responses=ChangedOutput)
    @action(detail=False, methods=["post"], url_path="bulk-owner", url_name="bulk-owner")
    def bulk_owner(self, request: Request) -> Response:
        return _assign(self, request, self.owned_kind, validated(BulkOwnerInput, request.data))


class BulkAssigneeMixin:
    """Adds ``POST bulk-assign/`` for planned control tests."""

    @extend_schema(
        summary="Assign many planned tests to one person", request=BulkAssigneeInput, responses=ChangedOutput
    )
    @action(detail=False, methods=["post"], url_path="bulk-assign", url_name="bulk-assign")
    def bulk_assign(self, request: Request) -> Response:
        return _assign(self, request, owners.CONTROL_TESTS, validated(BulkAssigneeInput, request.data))


def user_field(**kwargs: Any) -> Any:
    """An input field naming a person by id (validated against existing users), empty allowed."""
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, **kwargs)
