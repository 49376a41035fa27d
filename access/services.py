"""Write side of access: users, roles, second factors, API tokens, sign-in events."""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from guardian.models import UserObjectPermissionBase

from access.models import (
    ApiToken,
    AuthEvent,
    RecoveryCode,
    RecoveryCodeDevice,
    Role,
    TOTPDevice,
    User,
    hash_code,
    hash_token,
)
from core.errors import DomainError, PermissionDeniedError, ThrottledError
from core.permissions import forget_cached_perms, may_hold_object_perms, require_perm

RECOVERY_CODE_COUNT = 10
TOKEN_PREFIX = "rmp_"  # noqa: S105 - a public prefix, not a secret


def record_auth_event(*, kind: str, request: Any = None, user: User | None = None, username: str = "") -> AuthEvent:
    """Keep a sign-in related event; its creation lands in the audit trail."""
    from access.middleware import client_ip

    ip = client_ip(request) if request is not None else None
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    with transaction.atomic():
        return AuthEvent.objects.create(
            kind=kind,
            user=user,
            username=(username or (user.email if user else ""))[:254],
            ip_address=ip,
            user_agent=agent,
        )


# --- Ending sessions and tokens ---


def end_sessions_and_tokens(*, user: User, request: Any = None) -> int:
    """End every session of ``user`` and revoke their API tokens; returns how many tokens.

    For a change of what the user may do or how they prove who they are (roles, password,
    second factor, deactivation). Raising ``auth_epoch`` changes the session hash, so each
    session signed in before ends at its next request, wherever it lives. The request that
    made the change keeps its own session when it is the user's. Each revoked token and the
    raised epoch land in the audit trail, with a ``sessions_ended`` sign-in event.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.auth_epoch += 1
    locked.save(update_fields=["auth_epoch"])
    user.auth_epoch = locked.auth_epoch
    now = timezone.now()
    revoked = 0
    for token in ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).order_by("pk"):
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])  # one audit entry per token
        revoked += 1
    record_auth_event(kind=AuthEvent.Kind.SESSIONS_ENDED, request=request, user=user)
    current = getattr(request, "user", None) if request is not None else None
    if current is not None and current.pk == user.pk and hasattr(request, "session"):
        current.auth_epoch = user.auth_epoch
        update_session_auth_hash(request, current)
    return revoked


def _object_permission_models() -> list[Any]:
    """guardian's per-user object permission tables: its generic one and our direct foreign-key ones."""
    return [m for m in apps.get_models() if issubclass(m, UserObjectPermissionBase)]


def drop_object_perms_beyond_roles(*, user: User) -> int:
    """Delete the object permissions ``user`` holds that their roles no longer allow; returns how many.

    Each deletion is recorded in the audit trail. (They stopped counting the moment the
    roles changed: ``access.backends`` checks the role on every request.)
    """
    forget_cached_perms(user)
    dropped = 0
    for model in _object_permission_models():
        rows = model.objects.filter(user_id=user.pk).select_related("permission__content_type").order_by("pk")
        for row in rows:
            kind = row.permission.content_type.model_class()
            if kind is None or not may_hold_object_perms(user, kind):
                row.delete()
                dropped += 1
    return dropped


def _roles_to_groups(roles: list[str]) -> list[Group]:
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise DomainError(f"Unknown role: {', '.join(sorted(unknown))}.")
    return list(Group.objects.filter(name__in=roles))


@transaction.atomic
def invite_user(
    *, actor: User, email: str, full_name: str, roles: list[str], password: str | None = None
) -> tuple[User, str]:
    """Create an account with the given roles. Returns the user and a one-time password."""
    require_perm(actor, "access.manage_users")
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(f"A user with the email {email} already exists.")
    if not roles:
        raise DomainError("Give the user at least one role.")
    groups = _roles_to_groups(roles)
    initial = password or secrets.token_urlsafe(12)
    user = User(email=email, full_name=full_name.strip())
    try:
        validate_password(initial, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    user.set_password(initial)
    user.full_clean()
    user.save()
    user.groups.set(groups)
    return user, initial


@transaction.atomic
def change_user_roles(*, actor: User, user: User, roles: list[str], request: Any = None) -> User:
    """Give ``user`` exactly these roles. What they may do follows at once.

    When the roles change, the object permissions the new roles do not allow are removed,
    and the user's sessions end and their API tokens are revoked: a session or a token
    never carries rights (or skips a second factor) the person no longer has.
    """
    require_perm(actor, "access.manage_users")
    if not roles:
        raise DomainError("Give the user at least one role.")
    if user.pk == actor.pk and Role.ADMINISTRATOR not in roles:
        raise DomainError("You cannot remove your own Administrator role.")
    groups = _roles_to_groups(roles)
    if {g.pk for g in groups} == set(user.groups.values_list("pk", flat=True)):
        return user
    user.groups.set(groups)
    drop_object_perms_beyond_roles(user=user)
    end_sessions_and_tokens(user=user, request=request)
    return user


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> User:
    """Stop a user signing in: their sessions end and their tokens are revoked. Never deleted."""
    require_perm(actor, "access.manage_users")
    if user.pk == actor.pk:
        raise DomainError("You cannot deactivate yourself.")
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    end_sessions_and_tokens(user=user)
    return user


@transaction.atomic
def reactivate_user(*, actor: User, user: User) -> User:
    """Let a deactivated user sign in again; sessions and tokens from before stay ended."""
    require_perm(actor, "access.manage_users")
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    end_sessions_and_tokens(user=user)
    return user


def _password_change_lock(user: User) -> datetime | None:
    """Until when ``user`` may not try their current password again, or None.

    The sign-in rule (``RAMPART_LOCKOUT_FAILURES`` wrong passwords within the cool-off,
    ``RAMPART_LOCKOUT_COOLOFF_MINUTES``), counted since their last password change.
    """
    cooloff = timedelta(hours=settings.AXES_COOLOFF_TIME)
    since = timezone.now() - cooloff
    last_change = (
        AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.PASSWORD_CHANGED).order_by("-at").values("at")[:1]
    )
    failures = AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.PASSWORD_CHANGE_FAILED, at__gte=since)
    if last_change.exists():
        failures = failures.filter(at__gt=last_change)
    recent = list(failures.order_by("-at").values_list("at", flat=True)[: settings.AXES_FAILURE_LIMIT])
    if len(recent) < settings.AXES_FAILURE_LIMIT:
        return None
    return recent[-1] + cooloff


def _locked_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return f"Too many wrong passwords. Wait {minutes} minute{'s' if minutes != 1 else ''}, then try again."


def change_password(*, user: User, old_password: str, new_password: str, request: Any = None) -> User:
    """Change one's own password. Other sessions end and API tokens are revoked.

    Wrong current passwords are throttled like sign-in: after ``AXES_FAILURE_LIMIT`` of them
    within the cool-off, every attempt is refused (the right password too) until it passes.
    Attempts on one account are taken one at a time (a row lock), so parallel requests cannot
    slip past the count; each failure and each refusal is a sign-in event in the audit trail.
    The caller keeps its own session with ``update_session_auth_hash``.
    """
    if not user.is_authenticated or not user.is_active:
        raise DomainError("You must be signed in.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        until = _password_change_lock(user)
        if until is not None:
            record_auth_event(kind=AuthEvent.Kind.PASSWORD_CHANGE_LOCKED, request=request, user=user)
            refusal: DomainError | None = ThrottledError(_locked_message(until))
        elif not locked.check_password(old_password):
            record_auth_event(kind=AuthEvent.Kind.PASSWORD_CHANGE_FAILED, request=request, user=user)
            until = _password_change_lock(user)
            if until is not None:
                record_auth_event(kind=AuthEvent.Kind.PASSWORD_CHANGE_LOCKED, request=request, user=user)
                refusal = ThrottledError(f"Your current password is not correct. {_locked_message(until)}")
            else:
                refusal = DomainError("Your current password is not correct.")
        else:
            refusal = None
    if refusal is not None:
        raise refusal  # after the commit: the failure stays counted
    return _set_new_password(user=user, old_password=old_password, new_password=new_password, request=request)


@transaction.atomic
def _set_new_password(*, user: User, old_password: str, new_password: str, request: Any) -> User:
    if new_password == old_password:
        raise DomainError("Choose a new password that differs from the current one.")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_auth_event(kind=AuthEvent.Kind.PASSWORD_CHANGED, request=request, user=user)
    end_sessions_and_tokens(user=user, request=request)
    return user


# --- Second factor ---


@transaction.atomic
def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator; any earlier unconfirmed one is replaced."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.new_for(user)
    device.save()
    return device


def _throttled_message(device: Device) -> str | None:
    """A readable refusal when ``device`` is throttled after wrong codes, else None."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    until = (info or {}).get("locked_until")
    if until is not None:
        seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))
        return f"Too many wrong codes. Wait {seconds} second{'s' if seconds != 1 else ''}, then try again."
    return "Too many wrong codes. Wait a moment, then try again."


def confirm_totp_enrolment(*, user: User, device: TOTPDevice, token: str, request: Any = None) -> list[str]:
    """Confirm the authenticator with a code from it; returns new recovery codes (shown once).

    The code is checked outside the transaction so that a wrong code still counts
    towards the device's throttle.
    """
    if device.user_id != user.pk or device.confirmed:
        raise DomainError("This enrolment is not pending for you.")
    passed, throttled = _try_code(device, token)
    if throttled:
        raise DomainError(throttled)
    if not passed:
        raise DomainError("That code is not valid. Check the time on your phone and try again.")
    return _activate_totp_device(user=user, device=device, request=request)


@transaction.atomic
def _activate_totp_device(*, user: User, device: TOTPDevice, request: Any) -> list[str]:
    """Confirm the device, replacing any earlier one. Every other session and every API token
    ends: from now on the account is only reached through the second factor."""
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_auth_event(kind=AuthEvent.Kind.MFA_ENROLLED, request=request, user=user)
    end_sessions_and_tokens(user=user, request=request)
    return regenerate_recovery_codes(user=user)


def _try_code(device: Device, token: str) -> tuple[bool, str | None]:
    """One attempt at ``device``: (passed, refusal when throttled). Committed before returning.

    The device row is locked for the attempt (on SQLite the write lock is taken when the
    transaction begins), so parallel attempts are taken one at a time, each reading the
    failure count and the last used time step that the one before it left.
    """
    with transaction.atomic():
        fresh = type(device).objects.select_for_update().get(pk=device.pk)
        throttled = _throttled_message(fresh)
        if throttled:
            return False, throttled
        return bool(fresh.verify_token(token)), None


def verify_second_factor(*, user: User, token: str, request: Any = None) -> Device:
    """Check a code from the authenticator app or a recovery code; returns the device that passed.

    Digits only (up to the device's length) are an authenticator code, anything else a recovery code.
    Every attempt is recorded; wrong codes throttle the device. Not one transaction
    on purpose: a refused code must still leave its failure count and event behind.
    """
    if not user.is_authenticated or not user.is_active:
        raise DomainError("You must be signed in.")
    token = token.replace(" ", "").strip()
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    if totp is None:
        raise DomainError("You have no authenticator app enrolled yet. Enrol one first.")
    device: Device | None
    if token.isdigit() and len(token) <= totp.digits:
        device, success = totp, AuthEvent.Kind.MFA_VERIFIED
    else:
        device = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
        success = AuthEvent.Kind.RECOVERY_CODE_USED
    refusal = "That code is not valid. Type the current code from your app, or an unused recovery code."
    if device is not None:
        passed, throttled = _try_code(device, token)
        if throttled:
            refusal = throttled
        elif passed:
            record_auth_event(kind=success, request=request, user=user)
            return device
    record_auth_event(kind=AuthEvent.Kind.MFA_FAILED, request=request, user=user)
    raise DomainError(refusal)


@transaction.atomic
def regenerate_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes; only hashes are stored."""
    device, _ = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(device=device, code_hash=hash_code(c)) for c in codes])
    return codes


# --- API tokens ---


@transaction.atomic
def create_api_token(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """A personal token. The raw value is returned once and never stored."""
    if not user.is_authenticated or not user.is_active:
        raise DomainError("You must be signed in.")
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name, so you know later what uses it.")
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(f"A token lives between 1 and {settings.API_TOKEN_MAX_DAYS} days.")
    if user.mfa_required and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise PermissionDeniedError("Your role requires an authenticator app; enrol one before creating API tokens.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:12],
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days),
        # Bound to the account as it is now: a change of roles, password or second factor ends it.
        auth_epoch=User.objects.filter(pk=user.pk).values_list("auth_epoch", flat=True).get(),
    )
    return token, raw


@transaction.atomic
def revoke_api_token(*, user: User, token: ApiToken) -> ApiToken:
    """Owners revoke their own tokens; user managers may revoke anyone's."""
    if token.user_id != user.pk:
        require_perm(user, "access.manage_users")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def expire_api_tokens(*, now: Any = None) -> int:
    """Housekeeping: mark tokens past their expiry as revoked. Returns how many."""
    now = now or timezone.now()
    stale = list(ApiToken.objects.filter(revoked_at__isnull=True, expires_at__lte=now))
    for token in stale:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
    return len(stale)
