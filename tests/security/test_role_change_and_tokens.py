"""The authorization matrix, continued: personal API tokens, and what happens when roles change.

- Every API route gives a persona calling with a personal token the same outcome as the
  same persona's browser session (a token carries no more and no less than its owner).
- After a change of roles, the sessions and tokens from before are refused, whatever the
  persona; reactivating a deactivated user does not bring them back.
- Rights follow roles at once: every route a Control owner may use on the control or risk
  he owns is refused once his only role is Auditor, also in a fresh session or with a fresh
  token (the object permissions granted as owner no longer count), and writes do not happen.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from access import services
from access.models import ApiToken, Role, User
from core.permissions import own_perm
from governance.models import Control, Risk
from tests.api.conftest import token_client
from tests.conftest import PERSONAS, login
from tests.security.expectations import Route, all_routes
from tests.security.test_authorization_matrix import _request

ROUTES = all_routes()


def _route_id(route: Route) -> str:
    return route.name if route.method == "get" else f"{route.name}:{route.method}"


def _is_api(route: Route) -> bool:
    """API routes are not namespaced (DRF's router names them ``<basename>-<action>``)."""
    return ":" not in route.name and route.name not in {"home", "api-docs"}


API_ROUTES = [r for r in ROUTES if _is_api(r)]
# Tokens are created only from a browser session: a leaked token cannot mint fresh ones.
SESSION_ONLY = {("token-list", "post"): 403}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", API_ROUTES, ids=_route_id)
def test_a_token_gives_the_outcome_of_its_owners_session(route: Route, persona: str, personas: Any) -> None:
    kwargs = route.kwargs(personas) if route.kwargs else {}
    url = reverse(route.name, kwargs=kwargs)
    assert url.startswith("/api/"), url
    client, _ = token_client(personas[persona])

    response = _request(client, route, url, route.body(personas))

    if (route.name, route.method) in SESSION_ONLY:
        assert response.status_code == SESSION_ONLY[(route.name, route.method)]
    elif route.allows(persona):
        assert response.status_code == route.ok, f"{url}: {persona}'s token got {response.status_code}"
    else:
        assert response.status_code in route.denied, f"{url}: {persona}'s token got {response.status_code}"
    if route.wrote and (route.name, route.method) not in SESSION_ONLY:
        assert route.wrote(personas) == route.allows(persona), f"{url}: did the write with {persona}'s token happen?"


def _superuser() -> User:
    return User.objects.create_superuser("root@example.test", "x" * 20, full_name="Root")


NEW_ROLE = dict.fromkeys(PERSONAS, Role.EMPLOYEE) | {"employee_emil": Role.AUDITOR}


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_change_of_roles_ends_the_sessions_and_tokens_from_before(persona: str, personas: Any) -> None:
    user = personas[persona]
    session = personas.client(persona)
    token, _ = token_client(user)
    assert session.get(reverse("access:account")).status_code == 200
    assert token.get("/api/v1/me/").status_code == 200

    services.change_user_roles(actor=_superuser(), user=user, roles=[NEW_ROLE[persona]])

    response = session.get(reverse("access:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:login"))
    assert token.get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    fresh = login(Client(), User.objects.get(pk=user.pk))
    assert fresh.get(reverse("access:account")).status_code == 200  # signing in again works


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "admin_alice"])
def test_reactivating_a_user_does_not_bring_old_sessions_or_tokens_back(persona: str, personas: Any) -> None:
    user, alice = personas[persona], personas["admin_alice"]
    session = personas.client(persona)
    token, _ = token_client(user)

    services.deactivate_user(actor=alice, user=user)
    services.reactivate_user(actor=alice, user=User.objects.get(pk=user.pk))

    assert session.get(reverse("access:account")).status_code == 302
    assert token.get("/api/v1/me/").status_code == 401


def _owner_cases() -> list[Any]:
    """Routes the Control owner may use but an Auditor may not, on objects he owns (kwargs given):
    pages with a session, API routes with a session and with a token."""
    routes = [r for r in ROUTES if r.kwargs and r.allows("owner_omar") and not r.allows("auditor_aude")]
    return [
        pytest.param(route, credential, id=f"{_route_id(route)}-{credential}")
        for route in routes
        for credential in (("session", "token") if _is_api(route) else ("session",))
    ]


@pytest.mark.parametrize(("route", "credential"), _owner_cases())
def test_rights_follow_roles_at_once(route: Route, credential: str, personas: Any) -> None:
    omar = personas["owner_omar"]
    kwargs = route.kwargs(personas)  # creates the object and makes Omar its owner
    url = reverse(route.name, kwargs=kwargs)

    services.change_user_roles(actor=personas["admin_alice"], user=omar, roles=[Role.AUDITOR])

    omar = User.objects.get(pk=omar.pk)
    client = login(Client(), omar) if credential == "session" else token_client(omar)[0]
    response = _request(client, route, url, route.body(personas))
    assert response.status_code in route.denied, f"{url}: Omar, now an Auditor, got {response.status_code}"
    if route.wrote:
        assert not route.wrote(personas), f"{url}: Omar's write as an Auditor took effect"


def test_a_change_of_roles_removes_the_object_permissions_the_new_roles_do_not_allow(personas: Any) -> None:
    from guardian.shortcuts import get_perms

    from audits.models import LogEntry
    from governance.scoping import hand_over_object_perms

    omar = personas["owner_omar"]
    control = Control.objects.create(ref="CTL-R1", title="Owned", owner=omar)
    risk = Risk.objects.create(ref="R-R1", title="Owned risk", owner=omar)
    hand_over_object_perms(obj=control, previous=None, new=omar)
    hand_over_object_perms(obj=risk, previous=None, new=omar)
    assert omar.has_perm(own_perm(Control))
    before = LogEntry.objects.count()

    services.change_user_roles(actor=personas["admin_alice"], user=omar, roles=[Role.AUDITOR])

    omar = User.objects.get(pk=omar.pk)
    assert get_perms(omar, control) == [] and get_perms(omar, risk) == []
    assert not omar.has_perm("governance.change_control", control)
    # the four grants removed, the role change, the raised epoch: all in the audit trail
    assert LogEntry.objects.count() - before >= 6
