"""API authentication: hashed personal tokens, and sessions that passed MFA."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from access.actor import bind_actor
from access.middleware import MFA_ENROLLED_SESSION_KEY
from access.models import ApiToken, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=1)


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer rmp_…``. Expired or revoked tokens are refused."""

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
        token = ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
        if token is None or not token.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is deactivated.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        bind_actor(token.user)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


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
