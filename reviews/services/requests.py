"""Access requests: a role or an object permission for a while, decided by someone else; break-glass.

Granted access ends by itself. The grant keeps its expiry in ``AccessGrant``; the rows that give
the access (the role's group membership, guardian's object permission) are removed:

- at once, on the holder's next page or API call in any process: the user is loaded with a
  grant's next end (``next_grant_lapse``, in the same query; ``access.backends``) and, when it has passed,
  ``take_away_lapsed_grants`` removes the access before the request checks anything;
- by the scheduled job ``reviews.expire_access_grants`` (every minute) for everyone else.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model, Subquery
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from access.models import Role, User
from core.actor import attributed_to
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from core.permissions import forget_cached_perms, may_hold_object_perms, require_perm
from governance.models import Control, Risk
from reviews.models import AccessGrant, AccessRequest

DECIDE = "reviews.change_accessrequest"
MAX_HOURS = 24 * 90
BREAK_GLASS_MAX_HOURS = 24

# Kinds of object whose permissions one may ask for, with the actions one may ask for on them.
REQUESTABLE: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "control": (Control, ("view", "change")),
    "risk": (Risk, ("view", "change")),
}


class RequestInputError(DomainError):
    """A request that cannot be made as asked; ``field`` names the input that is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _signed_in(user: Any) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDeniedError("You must be signed in.")


def _object(request: AccessRequest) -> Any:
    assert request.content_type is not None  # noqa: S101 - object requests always name one
    return request.content_type.get_object_for_this_type(pk=request.object_pk)


def _check_target(*, user: User, role: str, permission: str, obj: Any) -> None:
    if bool(role) == bool(permission):
        raise RequestInputError("role", "Ask for either a role or a permission on an object.")
    if role:
        if role not in Role.values:
            raise RequestInputError("role", f"Unknown role: {role}.")
        if user.groups.filter(name=role).exists():
            raise RequestInputError("role", f"You already hold the role {role}.")
        return
    if obj is None:
        raise RequestInputError("object", "Name the object the permission is for.")
    app_label, _, codename = permission.partition(".")
    ctype = ContentType.objects.get_for_model(obj)
    if app_label != ctype.app_label or not Permission.objects.filter(content_type=ctype, codename=codename).exists():
        raise RequestInputError("action", f"{permission} is not a permission on {ctype.model}.")
    if not may_hold_object_perms(user, obj):
        noun = obj._meta.verbose_name_plural
        raise RequestInputError(
            "kind", f"Your roles do not allow permissions on single {noun}: ask for a role instead."
        )
    if user.has_perm(permission) or user.has_perm(permission, obj):
        raise RequestInputError("action", "You already hold this permission.")


def _new_request(
    *, actor: User, role: str, permission: str, obj: Any, reason: str, hours: int, glass: bool
) -> AccessRequest:
    _signed_in(actor)
    reason = reason.strip()
    if not reason:
        raise RequestInputError("reason", "Say why you need the access.")
    limit = BREAK_GLASS_MAX_HOURS if glass else MAX_HOURS
    if not 1 <= hours <= limit:
        raise RequestInputError("hours", f"Access lasts between 1 and {limit} hours.")
    _check_target(user=actor, role=role, permission=permission, obj=obj)
    return AccessRequest.objects.create(
        requester=actor,
        role=role,
        permission=permission,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_pk=str(obj.pk) if obj is not None else "",
        reason=reason,
        duration_hours=hours,
        break_glass=glass,
    )


@transaction.atomic
def request_access(
    *, actor: User, reason: str, hours: int, role: str = "", permission: str = "", obj: Any = None
) -> AccessRequest:
    """Ask for a role or an object permission for ``hours``; anyone signed in may ask."""
    return _new_request(actor=actor, role=role, permission=permission, obj=obj, reason=reason, hours=hours, glass=False)


def find_requestable(*, kind: str, ref: str) -> Model:
    """The control or risk with reference ``ref`` (case-insensitive), to ask for a permission on."""
    if kind not in REQUESTABLE:
        raise RequestInputError("kind", f"Ask for a permission on one of: {', '.join(REQUESTABLE)}.")
    model = REQUESTABLE[kind][0]
    ref = ref.strip()
    found = model._default_manager.filter(ref__iexact=ref).first() if ref else None
    if found is None:
        raise RequestInputError(
            "ref", f"No {kind} has the reference {ref!r}." if ref else f"Give the {kind}'s reference."
        )
    return found


@transaction.atomic
def request_object_access(*, actor: User, kind: str, ref: str, action: str, reason: str, hours: int) -> AccessRequest:
    """Ask to view or change one control or risk (named by its reference) for ``hours``."""
    _signed_in(actor)
    obj = find_requestable(kind=kind, ref=ref)
    model, actions = REQUESTABLE[kind]
    if action not in actions:
        raise RequestInputError("action", f"Ask to {' or '.join(actions)} a {kind}.")
    meta = model._meta
    permission = f"{meta.app_label}.{action}_{meta.model_name}"
    return _new_request(actor=actor, role="", permission=permission, obj=obj, reason=reason, hours=hours, glass=False)


def _granted_perms(permission: str) -> list[str]:
    """What a permission on an object gives: to change an object one must be able to open it."""
    app_label, _, codename = permission.partition(".")
    action, _, model = codename.partition("_")
    return [permission, f"{app_label}.view_{model}"] if action == "change" else [permission]


def _held_by_another_grant(grant: AccessGrant, perm: str) -> bool:
    """Whether another running grant of the same person on the same object gives ``perm`` too."""
    request = grant.request
    model = perm.partition(".")[2].partition("_")[2]
    others = AccessGrant.objects.filter(
        user_id=grant.user_id,
        removed_at__isnull=True,
        expires_at__gt=timezone.now(),
        request__content_type_id=request.content_type_id,
        request__object_pk=request.object_pk,
        request__permission__in=[perm, perm.replace(".view_", ".change_")] if ".view_" in perm else [perm],
    ).exclude(pk=grant.pk)
    return model != "" and others.exists()


def _grant(request: AccessRequest, now: datetime) -> AccessGrant:
    user = request.requester
    if request.role:
        user.groups.add(Group.objects.get(name=request.role))
    else:
        obj = _object(request)
        for perm in _granted_perms(request.permission):
            assign_perm(perm, user, obj)
    forget_cached_perms(user)
    grant = AccessGrant.objects.create(
        request=request, user=user, granted_at=now, expires_at=now + timedelta(hours=request.duration_hours)
    )
    return grant


@transaction.atomic
def decide_access_request(*, actor: User, request: AccessRequest, approve: bool, note: str = "") -> AccessRequest:
    """Grant or refuse; the requester never decides their own request."""
    require_perm(actor, DECIDE)
    request = AccessRequest.objects.select_for_update().select_related("requester").get(pk=request.pk)
    if request.requester_id == actor.pk:
        raise SegregationOfDutiesError("You cannot decide your own access request.")
    if request.status != AccessRequest.Status.PENDING:
        raise DomainError("This request is already decided.")
    now = timezone.now()
    request.decided_by, request.decided_at, request.decision_note = actor, now, note.strip()
    request.status = AccessRequest.Status.GRANTED if approve else AccessRequest.Status.REJECTED
    request.save(update_fields=["decided_by", "decided_at", "decision_note", "status"])
    if approve:
        _grant(request, now)
    return request


@transaction.atomic
def break_glass(*, actor: User, role: str, reason: str, hours: int = 4) -> AccessRequest:
    """Emergency access to a role, granted at once; Administrators are alerted and must review it."""
    request = _new_request(actor=actor, role=role, permission="", obj=None, reason=reason, hours=hours, glass=True)
    now = timezone.now()
    request.status, request.decided_at = AccessRequest.Status.GRANTED, now
    request.save(update_fields=["status", "decided_at"])
    grant = _grant(request, now)
    admins = list(
        User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR)
        .exclude(pk=actor.pk)
        .values_list("email", flat=True)
    )
    if admins:
        send_mail(
            f"Break-glass access: {actor.email} took the role {role}",
            f"{actor.email} took the role {role} until {grant.expires_at:%Y-%m-%d %H:%M} UTC.\n"
            f"Reason: {request.reason}\nReview it in Rampart (Access reviews, access requests).",
            settings.DEFAULT_FROM_EMAIL,
            sorted(set(admins)),
            fail_silently=True,
        )
    return request


@transaction.atomic
def review_break_glass(*, actor: User, request: AccessRequest, note: str) -> AccessRequest:
    require_perm(actor, DECIDE)
    if not request.break_glass:
        raise DomainError("Only break-glass access is reviewed afterwards.")
    if request.requester_id == actor.pk:
        raise SegregationOfDutiesError("Someone else reviews your break-glass access.")
    if not note.strip():
        raise DomainError("Say what you found.")
    request.reviewed_by, request.reviewed_at, request.review_note = actor, timezone.now(), note.strip()
    request.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return request


# --- Expiry ---


def next_grant_lapse(user_ref: Any) -> Subquery:
    """When the first access still granted to the user ``user_ref`` points at ends (NULL if none).

    No clock in the query: ``core.hooks`` compares the answer with the time, so the query that
    loads a user is built once per process (``access.backends``).
    """
    running = AccessGrant.objects.filter(user_id=user_ref, removed_at__isnull=True).order_by("expires_at")
    return Subquery(running.values("expires_at")[:1])


def _take_away(grant_pk: int, now: datetime) -> bool:
    """Remove one lapsed grant's access; False when someone else (the job, another request) did first."""
    with transaction.atomic():
        # Lock the grant alone (PostgreSQL locks no row of an outer join), then read what it gave.
        pending = AccessGrant.objects.select_for_update().filter(pk=grant_pk, removed_at__isnull=True)
        if not list(pending.values_list("pk", flat=True)):
            return False
        grant = AccessGrant.objects.select_related("request__content_type", "user").get(pk=grant_pk)
        request = grant.request
        if request.role:
            group = Group.objects.filter(name=request.role).first()
            if group is not None:
                grant.user.groups.remove(group)
        else:
            with contextlib.suppress(ObjectDoesNotExist):  # the object is gone, and its permissions with it
                obj = _object(request)
                for perm in _granted_perms(request.permission):
                    if not _held_by_another_grant(grant, perm):
                        remove_perm(perm, grant.user, obj)
        forget_cached_perms(grant.user)
        grant.removed_at = now
        grant.save(update_fields=["removed_at"])
        request.status = AccessRequest.Status.EXPIRED
        request.save(update_fields=["status"])
        return True


def expire_due_grants(now: datetime | None = None, *, user: Any = None) -> int:
    """Take away every granted access whose time is up (of ``user`` only, if given); returns how many."""
    now = now or timezone.now()
    due = AccessGrant.objects.filter(removed_at__isnull=True, expires_at__lte=now)
    if user is not None:
        due = due.filter(user_id=user.pk)
    return sum(_take_away(pk, now) for pk in due.order_by("pk").values_list("pk", flat=True))


def take_away_lapsed_grants(user: Any) -> int:
    """For ``access.backends``: as a request's user is loaded, their lapsed grants go at once.

    Nobody acts here (the time did): the audit trail names no actor for these changes.
    """
    with attributed_to(None):
        removed = expire_due_grants(user=user)
    forget_cached_perms(user)
    return removed
