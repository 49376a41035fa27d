"""Who the API lets in: sessions that passed MFA, tokens, nobody anonymous; reads checked per object."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from guardian.shortcuts import assign_perm
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from access.models import ApiToken, User
from access.services import create_api_token
from core.api_permissions import DenyAll, HasRequiredPerm, ModelPerms
from tests.api.conftest import post_json, token_client
from tests.conftest import login

ME = "/api/v1/me/"
TOKENS = "/api/v1/tokens/"


def test_anonymous_calls_get_401_with_a_bearer_challenge(db: Any) -> None:
    response = Client().get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_session_of_an_mfa_role_without_the_second_factor_is_refused(personas: Any) -> None:
    alice = personas["admin_alice"]
    client = Client()
    client.force_login(alice)  # signed in with a password, second factor not passed

    response = client.get(ME)

    assert response.status_code == 403
    assert "multi-factor" in response.json()["detail"]
    assert post_json(client, TOKENS, {"name": "sneaky"}).status_code == 403
    assert not ApiToken.objects.filter(user=alice).exists()


def test_the_same_session_after_mfa_is_let_in(personas: Any) -> None:
    response = login(Client(), personas["admin_alice"]).get(ME)

    assert response.status_code == 200
    assert response.json()["mfa"] == {"required": True, "enrolled": True, "verified": True}
    assert response.json()["authenticated_by"] == "session"


def test_me_describes_the_caller(personas: Any) -> None:
    client, _ = token_client(personas["employee_emil"])

    body = client.get(ME).json()

    assert body == {
        "id": personas["employee_emil"].pk,
        "email": "employee_emil@example.test",
        "full_name": "Emil Employee",
        "roles": ["Employee"],
        "authenticated_by": "token",
        "mfa": {"required": False, "enrolled": False, "verified": None},
    }


def test_an_admin_token_is_not_subject_to_the_session_mfa_gate(personas: Any) -> None:
    """Tokens are made from a session that passed MFA; the token itself is the credential."""
    client, _ = token_client(personas["admin_alice"])

    assert client.get(ME).status_code == 200


def test_session_writes_need_the_csrf_token(personas: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, personas["employee_emil"])

    response = post_json(client, TOKENS, {"name": "csrf"})

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_the_api_root_lists_endpoints_for_signed_in_users_only(personas: Any) -> None:
    assert Client().get("/api/v1/").status_code == 401
    client, _ = token_client(personas["employee_emil"])

    body = client.get("/api/v1/").json()

    assert {"me", "tokens", "users"} <= set(body)


# --- Permission classes: object permissions are checked on reads too ---


class _TokenView(viewsets.GenericViewSet[ApiToken]):
    """A stand-in endpoint over tokens of anyone (its permission class is what is tested)."""

    permission_classes = [ModelPerms]
    queryset = ApiToken.objects.all()
    object_scoped = True

    def retrieve(self, request: Any, pk: str) -> Response:
        return Response({"id": self.get_object().pk})


def _get(view: Any, user: User, pk: int) -> int:
    request = APIRequestFactory().get(f"/x/{pk}/")
    force_authenticate(request, user=user)
    return int(view(request, pk=str(pk)).status_code)


def test_model_perms_check_object_permissions_on_get(personas: Any) -> None:
    view = _TokenView.as_view({"get": "retrieve"})
    emil, omar = personas["employee_emil"], personas["owner_omar"]
    first, _ = create_api_token(user=emil, name="one")
    second, _ = create_api_token(user=emil, name="two")

    assert _get(view, omar, first.pk) == 403  # no view permission at all
    assign_perm("access.view_apitoken", omar, first)
    omar = User.objects.get(pk=omar.pk)  # fresh permission cache
    assert _get(view, omar, first.pk) == 403  # no role of his may hold object permissions on tokens
    own, _ = Permission.objects.get_or_create(
        codename="own_apitoken", content_type=ContentType.objects.get_for_model(ApiToken)
    )
    omar.user_permissions.add(own)
    omar = User.objects.get(pk=omar.pk)

    assert _get(view, omar, first.pk) == 200  # granted on this object ...
    assert _get(view, omar, second.pk) == 403  # ... and only this one
    assert _get(view, personas["admin_alice"], second.pk) == 200  # a global permission covers all


def test_model_perms_without_object_scope_refuse_early(personas: Any) -> None:
    class Unscoped(_TokenView):
        object_scoped = False

    token, _ = create_api_token(user=personas["employee_emil"], name="one")
    omar = personas["owner_omar"]
    assign_perm("access.view_apitoken", omar, token)

    assert _get(Unscoped.as_view({"get": "retrieve"}), User.objects.get(pk=omar.pk), token.pk) == 403


def test_required_perm_checks_reads_and_a_view_without_one_admits_nobody(personas: Any) -> None:
    class Managed(_TokenView):
        permission_classes = [HasRequiredPerm]
        required_perm = "access.manage_users"

    class Unnamed(_TokenView):
        permission_classes = [HasRequiredPerm]

    class Default(_TokenView):
        permission_classes = [DenyAll]

    token, _ = create_api_token(user=personas["employee_emil"], name="one")
    alice, olga = personas["admin_alice"], personas["officer_olga"]

    assert _get(Managed.as_view({"get": "retrieve"}), alice, token.pk) == 200
    assert _get(Managed.as_view({"get": "retrieve"}), olga, token.pk) == 403
    assert _get(Unnamed.as_view({"get": "retrieve"}), alice, token.pk) == 403
    assert _get(Default.as_view({"get": "retrieve"}), alice, token.pk) == 403
