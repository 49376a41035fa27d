"""The access API: the caller (``me``), their personal tokens, and user management.

Explicit input and output serializers (HackSoft style); every read goes through a
selector and every change through a service of ``access.services``, the same ones the
pages use, so the API can never see or do more than the same user in the browser.

Rules of this API:

- ``/me/``: any signed-in user, about themselves.
- ``/tokens/``: a user's own tokens only; another person's token is a 404. Tokens are
  listed and revoked with either a token or a session, but *created* only from a browser
  session (which passed MFA where the role needs it): a leaked token cannot mint fresh ones.
  The raw value is in the creation response only; hashes are never exposed.
- ``/users/``: holders of ``access.manage_users`` (Administrators), for reads as well
  as changes; everyone else gets 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from access import services
from access.api_auth import HashedTokenAuthentication
from access.api_input import caller as _caller
from access.api_input import validated as _valid
from access.api_selectors import own_api_tokens, users_for_api
from access.filters import UserFilterSet
from access.models import ApiToken, Role, User
from access.selectors import MANAGE_USERS, mfa_state
from core.api import SingleObjectSchema, router
from core.api_permissions import HasRequiredPerm, IsOwner, IsSignedIn


def _roles_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), **kwargs)


# --- Serializers: output ---


class MfaOutput(serializers.Serializer[Any]):
    # Declared fields leave the class namespace (DRF's metaclass), so ``required`` shadows nothing.
    required = serializers.BooleanField(  # type: ignore[assignment]
        help_text="The role must pass a second factor to sign in."
    )
    enrolled = serializers.BooleanField(help_text="A confirmed authenticator app is set up.")
    verified = serializers.BooleanField(
        allow_null=True, help_text="This session passed the second factor; null for token calls."
    )


class MeOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = _roles_field()
    authenticated_by = serializers.ChoiceField(choices=[("token", "API token"), ("session", "Browser session")])
    mfa = MfaOutput()


class TokenOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the token, to recognise it.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField(help_text="Neither revoked nor expired.")


class TokenCreatedOutput(TokenOutput):
    token = serializers.CharField(help_text="The token itself. Shown this once: only its hash is stored.")


class UserOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = _roles_field(source="role_names")
    is_active = serializers.BooleanField()
    mfa_enrolled = serializers.BooleanField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    deactivated_at = serializers.DateTimeField(allow_null=True)


class UserInvitedOutput(serializers.Serializer[Any]):
    user = UserOutput()
    initial_password = serializers.CharField(help_text="A one-time password to hand over. Shown this once.")


# --- Serializers: input ---


class TokenCreateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, help_text="What uses the token, so you recognise it later.")
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        help_text=f"Days until it expires (default {settings.API_TOKEN_DEFAULT_DAYS}).",
    )


class UserInviteInput(serializers.Serializer[Any]):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=150)
    roles = _roles_field(allow_empty=False, max_length=len(Role.choices))


class UserRolesInput(serializers.Serializer[Any]):
    roles = _roles_field(allow_empty=False, max_length=len(Role.choices))


# --- Views ---


class MeViewSet(viewsets.ViewSet):
    """The caller: who they are, their roles and their second factor."""

    permission_classes = [IsSignedIn]
    schema = SingleObjectSchema()

    @extend_schema(operation_id="me_retrieve", responses=MeOutput, summary="Who am I")
    def list(self, request: Request) -> Response:
        user = _caller(request)
        by_token = isinstance(request.successful_authenticator, HashedTokenAuthentication)
        verified = None if by_token else bool(getattr(request.user, "is_verified", lambda: False)())
        state = mfa_state(user=user, verified=bool(verified))
        body = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "roles": user.role_names,
            "authenticated_by": "token" if by_token else "session",
            "mfa": {"required": state.required, "enrolled": state.enrolled, "verified": verified},
        }
        return Response(MeOutput(body).data)


@extend_schema_view(
    list=extend_schema(summary="List your tokens", responses=TokenOutput(many=True)),
    retrieve=extend_schema(summary="One of your tokens", responses=TokenOutput),
    create=extend_schema(
        summary="Create a token (browser session only)",
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput},
    ),
    destroy=extend_schema(summary="Revoke one of your tokens", responses={204: None}),
    revoke=extend_schema(summary="Revoke one of your tokens", request=None, responses=TokenOutput),
)
class TokenViewSet(viewsets.GenericViewSet[ApiToken]):
    """The caller's personal API tokens."""

    permission_classes = [IsOwner]
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> Any:
        return own_api_tokens(user=_caller(self.request))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TokenOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(TokenOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        if isinstance(request.successful_authenticator, HashedTokenAuthentication):
            raise PermissionDenied("Create API tokens from a signed-in browser session, not with another token.")
        data = _valid(TokenCreateInput, request.data)
        token, raw = services.create_api_token(user=_caller(request), name=data["name"], days=data.get("days"))
        body = {**TokenOutput(token).data, "token": raw}
        return Response(TokenCreatedOutput(body).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        services.revoke_api_token(user=_caller(request), token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        token = services.revoke_api_token(user=_caller(request), token=self.get_object())
        return Response(TokenOutput(token).data)


@extend_schema_view(
    list=extend_schema(summary="List users", responses=UserOutput(many=True)),
    retrieve=extend_schema(summary="One user", responses=UserOutput),
    create=extend_schema(summary="Invite a user", request=UserInviteInput, responses={201: UserInvitedOutput}),
    change_roles=extend_schema(summary="Change a user's roles", request=UserRolesInput, responses=UserOutput),
    deactivate=extend_schema(summary="Deactivate a user", request=None, responses=UserOutput),
    reactivate=extend_schema(summary="Reactivate a user", request=None, responses=UserOutput),
)
class UserViewSet(viewsets.GenericViewSet[User]):
    """User management, for holders of ``access.manage_users``."""

    permission_classes = [HasRequiredPerm]
    required_perm = MANAGE_USERS
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = UserFilterSet

    def get_queryset(self) -> Any:
        return users_for_api(actor=_caller(self.request))

    def _output(self, user: User) -> Any:
        """Read the user back through the selector, so every response has the same shape."""
        return UserOutput(self.get_queryset().get(pk=user.pk)).data

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(UserOutput(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(UserOutput(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = _valid(UserInviteInput, request.data)
        user, password = services.invite_user(
            actor=_caller(request),
            email=data["email"],
            full_name=data["full_name"],
            roles=list(dict.fromkeys(data["roles"])),
        )
        body = {"user": self.get_queryset().get(pk=user.pk), "initial_password": password}
        return Response(UserInvitedOutput(body).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="roles", url_name="change-roles")
    def change_roles(self, request: Request, pk: str) -> Response:
        data = _valid(UserRolesInput, request.data)
        user = services.change_user_roles(
            actor=_caller(request), user=self.get_object(), roles=list(dict.fromkeys(data["roles"])), request=request
        )
        return Response(self._output(user))

    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        user = services.deactivate_user(actor=_caller(request), user=self.get_object())
        return Response(self._output(user))

    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk: str) -> Response:
        user = services.reactivate_user(actor=_caller(request), user=self.get_object())
        return Response(self._output(user))


router.register("me", MeViewSet, basename="me")
router.register("tokens", TokenViewSet, basename="token")
router.register("users", UserViewSet, basename="user")
