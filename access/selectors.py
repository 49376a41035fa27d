"""Read side of access: what a user may see of users, tokens and second factors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from access.models import ApiToken, AuthEvent, RecoveryCodeDevice, TOTPDevice, User
from core.permissions import require_perm

MANAGE_USERS = "access.manage_users"
VIEW_USERS = "access.view_user"


def users_visible_to(*, actor: User) -> QuerySet[User]:
    """Every account, for those who may read users' access; roles prefetched for the list."""
    if not actor.is_active or not actor.has_perm(VIEW_USERS):
        return User.objects.none()
    return User.objects.prefetch_related("groups").order_by("email")


def user_for_management(*, actor: User, pk: int) -> User:
    """One account for the user page. Raises when the actor may not read users' access (changes check more)."""
    require_perm(actor, VIEW_USERS)
    return User.objects.prefetch_related("groups").get(pk=pk)


def recent_auth_events(*, actor: User, user: User, limit: int = 10) -> list[AuthEvent]:
    require_perm(actor, VIEW_USERS)
    return list(AuthEvent.objects.filter(user=user).order_by("-at")[:limit])


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """A user's own tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


def active_api_token_count(*, user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()).count()


def api_token_for_revocation(*, actor: User, pk: int) -> ApiToken:
    """The actor's own token, or anyone's for user managers. ``DoesNotExist`` otherwise."""
    tokens = ApiToken.objects.select_related("user")
    if not actor.has_perm(MANAGE_USERS):
        tokens = tokens.filter(user=actor)
    return tokens.get(pk=pk)


def confirmed_totp_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def pending_totp_device(*, user: User) -> TOTPDevice | None:
    """The authenticator being enrolled: created, not yet confirmed with a code."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@dataclass(frozen=True)
class MFAState:
    """What the account page says about a user's second factor."""

    enrolled: bool
    required: bool
    verified: bool
    enrolled_at: datetime | None
    recovery_codes_left: int


def mfa_state(*, user: User, verified: bool) -> MFAState:
    device = confirmed_totp_device(user=user)
    left = (
        RecoveryCodeDevice.objects.filter(user=user).aggregate(
            left=Count("codes", filter=Q(codes__used_at__isnull=True))
        )["left"]
        or 0
    )
    return MFAState(
        enrolled=device is not None,
        required=user.mfa_required,
        verified=verified,
        enrolled_at=device.created_at if device else None,
        recovery_codes_left=left,
    )
