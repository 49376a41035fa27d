"""API authentication: hashed personal tokens, and sessions that passed MFA."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from access.middleware import MFA_ENROLLED_SESSION_KEY
from access.models import ApiToken, TOTPDevice, User, hash_token
from core.actor import bind_actor
from core.hooks import access_lapse_annotations, take_away_lapsed_access

LAST_USED_RESOLUTION = timedelta(minutes=1)


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer rmp_…``. Expired or revoked tokens are refused.

    A token carries no more than its owner can do with the second factor they have: it
    works only while its owner's account is as it was when the token was made (the
    ``auth_epoch``, raised by a change of roles, password or second factor), and never for
    an owner whose roles require MFA but who has no authenticator. Both are read in the
    same query as the token, and so is whether any access granted to the owner for a while lapsed
    (then it is taken away before the call goes on: ``access.backends``).
    """

    keywords = ("bearer", "token")

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed token.") from exc
        token = _tokens().filter(token_hash=hash_token(raw)).first()
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is deactivated.")
        if token.auth_epoch != token.user.auth_epoch:
            raise exceptions.AuthenticationFailed(
                "This token was made before a change to its owner's roles, password or second factor; create a new one."
            )
        if (token.owner_needs_mfa or token.user.is_superuser) and not token.owner_enrolled:  # type: ignore[attr-defined]
            raise exceptions.PermissionDenied(
                "Your role requires an authenticator app: enrol one, then create a new token."
            )
        # Granted access whose time is up goes before the call checks anything (flags read with the token).
        take_away_lapsed_access(token.user, loaded_with=token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        bind_actor(token.user)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


@functools.cache
def _tokens() -> Any:
    """Tokens with their owner, whether the owner's roles need MFA, whether they enrolled, and when
    access granted to them next ends. Nothing in it depends on the time, so it is built once per
    process and each call filters a copy (building the sub-selects cost more than running them)."""
    needs_mfa = User.groups.through.objects.filter(
        user_id=OuterRef("user_id"), group__name__in=settings.MFA_REQUIRED_ROLES
    )
    enrolled = TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
    return ApiToken.objects.select_related("user").annotate(
        owner_needs_mfa=Exists(needs_mfa),
        owner_enrolled=Exists(enrolled),
        **access_lapse_annotations(OuterRef("user_id")),
    )


class MFASessionAuthentication(authentication.SessionAuthentication):
    """Browser sessions, refused until the second factor is passed when one is due.

    It is due for the MFA roles, and for anyone who enrolled an authenticator of their
    own accord (the same rule as the pages' middleware).
    """

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        enrolled = bool(request._request.session.get(MFA_ENROLLED_SESSION_KEY))
        if (user.mfa_required or enrolled) and not user.is_verified():
            raise exceptions.PermissionDenied("Pass multi-factor authentication first.")
        return result


class HashedTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[misc,no-untyped-call]
    """How the OpenAPI schema describes personal tokens."""

    target_class = "access.api_auth.HashedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (`rmp_…`), created on your account page.",
        }


class MFASessionScheme(OpenApiAuthenticationExtension):  # type: ignore[misc,no-untyped-call]
    """Browser sessions, described like DRF's session authentication."""

    target_class = "access.api_auth.MFASessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
