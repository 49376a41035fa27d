"""Write side of access: users, roles, second factors, API tokens, sign-in events."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device

from access.errors import DomainError
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
from access.permissions import require_perm

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
def change_user_roles(*, actor: User, user: User, roles: list[str]) -> User:
    require_perm(actor, "access.manage_users")
    if not roles:
        raise DomainError("Give the user at least one role.")
    if user.pk == actor.pk and Role.ADMINISTRATOR not in roles:
        raise DomainError("You cannot remove your own Administrator role.")
    user.groups.set(_roles_to_groups(roles))
    return user


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> User:
    """Stop a user signing in. Users are never deleted, so their history stays."""
    require_perm(actor, "access.manage_users")
    if user.pk == actor.pk:
        raise DomainError("You cannot deactivate yourself.")
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user


@transaction.atomic
def reactivate_user(*, actor: User, user: User) -> User:
    require_perm(actor, "access.manage_users")
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    return user


@transaction.atomic
def change_password(*, user: User, old_password: str, new_password: str, request: Any = None) -> User:
    """Change one's own password. Other sessions end (Django's session hash changes).

    The caller keeps its own session with ``update_session_auth_hash``.
    """
    if not user.is_authenticated or not user.is_active:
        raise DomainError("You must be signed in.")
    if not user.check_password(old_password):
        raise DomainError("Your current password is not correct.")
    if new_password == old_password:
        raise DomainError("Choose a new password that differs from the current one.")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_auth_event(kind=AuthEvent.Kind.PASSWORD_CHANGED, request=request, user=user)
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
        return f"Too many wrong codes. Wait {seconds} seconds, then try again."
    return "Too many wrong codes. Wait a moment, then try again."


def confirm_totp_enrolment(*, user: User, device: TOTPDevice, token: str, request: Any = None) -> list[str]:
    """Confirm the authenticator with a code from it; returns new recovery codes (shown once).

    The code is checked outside the transaction so that a wrong code still counts
    towards the device's throttle.
    """
    if device.user_id != user.pk or device.confirmed:
        raise DomainError("This enrolment is not pending for you.")
    if message := _throttled_message(device):
        raise DomainError(message)
    if not device.verify_token(token):
        raise DomainError("That code is not valid. Check the time on your phone and try again.")
    return _activate_totp_device(user=user, device=device, request=request)


@transaction.atomic
def _activate_totp_device(*, user: User, device: TOTPDevice, request: Any) -> list[str]:
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_auth_event(kind=AuthEvent.Kind.MFA_ENROLLED, request=request, user=user)
    return regenerate_recovery_codes(user=user)


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
        throttled = _throttled_message(device)
        if throttled:
            refusal = throttled
        elif device.verify_token(token):
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
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:12],
        token_hash=hash_token(raw),
        expires_at=timezone.now() + timedelta(days=days),
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
