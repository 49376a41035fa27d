"""Read side of access requests: one's own, those waiting for an approver, and what they are about.

A request is seen by its requester, and by approvers (``reviews.change_accessrequest``:
Administrators and IT administrators), who decide everyone's requests but their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from reviews.models import AccessRequest
from reviews.services.requests import DECIDE, REQUESTABLE


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_decide(user: Any) -> bool:
    return _signed_in(user) and bool(user.has_perm(DECIDE))


def _joined(requests: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    return requests.select_related("requester", "decided_by", "content_type", "grant")


def own_requests(user: Any) -> QuerySet[AccessRequest]:
    """The requests ``user`` made, newest first."""
    if not _signed_in(user):
        return AccessRequest.objects.none()
    return _joined(AccessRequest.objects.filter(requester_id=user.pk))


def pending_for(user: Any) -> QuerySet[AccessRequest]:
    """Requests waiting for a decision that ``user`` may take (none of their own), oldest first."""
    if not may_decide(user):
        return AccessRequest.objects.none()
    pending = AccessRequest.objects.filter(status=AccessRequest.Status.PENDING).exclude(requester_id=user.pk)
    return _joined(pending).order_by("created_at", "pk")


def break_glass_to_review(user: Any) -> QuerySet[AccessRequest]:
    if not may_decide(user):
        return AccessRequest.objects.none()
    return _joined(
        AccessRequest.objects.filter(break_glass=True, reviewed_at__isnull=True).exclude(requester_id=user.pk)
    )


def requests_visible_to(user: Any) -> QuerySet[AccessRequest]:
    """Every request ``user`` may open: their own, and everyone's for approvers."""
    if not _signed_in(user):
        return AccessRequest.objects.none()
    if may_decide(user):
        return _joined(AccessRequest.objects.all())
    return own_requests(user)


def with_object_labels(requests: Iterable[AccessRequest]) -> list[AccessRequest]:
    """The requests, each with ``object_kind`` and ``object_ref`` (one query per kind of object at most)."""
    rows = list(requests)
    kinds = {ContentType.objects.get_for_model(model).pk: (kind, model) for kind, (model, _) in REQUESTABLE.items()}
    wanted: dict[int, set[str]] = {}
    for row in rows:
        if row.content_type_id in kinds:
            wanted.setdefault(row.content_type_id, set()).add(row.object_pk)
    refs: dict[tuple[int, str], str] = {}
    for ctype_id, pks in wanted.items():
        model = kinds[ctype_id][1]
        ids = [int(pk) for pk in pks if pk.isdigit()]
        for pk, ref in model._default_manager.filter(Q(pk__in=ids)).values_list("pk", "ref"):
            refs[(ctype_id, str(pk))] = ref
    for row in rows:
        kind = kinds.get(row.content_type_id or 0)
        row.object_kind = kind[0] if kind else ""  # type: ignore[attr-defined]
        row.object_ref = refs.get((row.content_type_id or 0, row.object_pk), "")  # type: ignore[attr-defined]
    return rows
