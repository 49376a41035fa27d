"""Every route x every persona + anonymous, against its expected outcome."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import PERSONAS
from tests.security.expectations import PAGE_ANON, Route, all_routes

ROUTES = all_routes()
IGNORED_PATTERNS = {"api-root", "static"}


def _walk(patterns: list[Any], namespace: str = "") -> list[str]:
    names: list[str] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            names.extend(_walk(p.url_patterns, ns))
        elif isinstance(p, URLPattern):
            if p.name is None:
                names.append(f"{namespace}<unnamed {p.pattern}>")
            else:
                names.append(f"{namespace}{p.name}")
    return names


def project_route_names() -> set[str]:
    return {n for n in _walk(get_resolver().url_patterns) if n.split(":")[-1] not in IGNORED_PATTERNS}


def test_every_route_has_an_expectation() -> None:
    listed = {r.name for r in ROUTES}
    missing = project_route_names() - listed
    assert not missing, f"Routes without an authorization expectation: {sorted(missing)}"
    stale = listed - project_route_names()
    assert not stale, f"Expectations for routes that no longer exist: {sorted(stale)}"


def _request(client: Client, route: Route, url: str, data: dict[str, Any]) -> Any:
    call = getattr(client, route.method)
    if route.method == "get":
        return call(url)
    if url.startswith("/api/"):
        return call(url, data=data, content_type="application/json")
    return call(url, data=data)


@pytest.mark.parametrize("persona", [*PERSONAS, "anonymous"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name if r.method == "get" else f"{r.name}:{r.method}")
def test_route_outcome(route: Route, persona: str, personas: Any, db: Any) -> None:
    kwargs = route.kwargs(personas) if route.kwargs else {}
    url = reverse(route.name, kwargs=kwargs)
    data = route.body(personas)
    if persona == "anonymous":
        response = _request(Client(), route, url, data)
        if route.anonymous == PAGE_ANON:
            assert response.status_code == 302, f"{url}: anonymous got {response.status_code}"
            assert response["Location"].startswith(reverse("access:login")), response["Location"]
        else:
            assert response.status_code == route.anonymous, f"{url}: anonymous got {response.status_code}"
        assert not (route.wrote and route.wrote(personas)), f"{url}: anonymous changed data"
        return
    response = _request(personas.client(persona), route, url, data)
    if route.allows(persona):
        assert response.status_code == route.ok, f"{url}: {persona} got {response.status_code}, expected {route.ok}"
    else:
        assert response.status_code in route.denied, (
            f"{url}: {persona} got {response.status_code}, expected one of {route.denied}"
        )
    if route.wrote:
        assert route.wrote(personas) == route.allows(persona), f"{url}: did the write of {persona} take effect?"
