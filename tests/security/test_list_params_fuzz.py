"""No list answers 5xx, whatever its query string: every list page and every API list, fuzzed.

The lists are found, not written down: API lists are the router's viewsets that declare a
``filterset_class``; list pages are the argument-free routes whose page carries a ``listing``
(``core.listing.build_list``). Each is sent hostile values in every one of its parameters
(a fixed table of known troublemakers) and random combinations (Hypothesis).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.api import router
from tests.conftest import Personas

pytestmark = pytest.mark.django_db

NASTY = [
    "0",
    "9" * 30,
    "1e309",
    "a\x00b",
    "' OR 1=1 --",
    "2026-02-30",
    "-",
    "Ünïcode ✓ \u202e",
    "x" * 600,
]
PAGING = ["page", "page_size", "per_page", "sort", "q"]


def _api_lists() -> list[tuple[str, list[str]]]:
    get_resolver().url_patterns  # noqa: B018 - loading the URLs registers every app's viewsets
    found = []
    for prefix, viewset, _basename in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is None:
            continue
        found.append((f"/api/v1/{prefix}/", [*filterset.base_filters, *PAGING]))
    return sorted(found)


def _route_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    """Names (with namespaces) of the routes that take no argument."""
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if not pattern.pattern.converters:
                names += _route_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters:
            names.append(f"{namespace}{pattern.name}")
    return names


def _page_lists(client: Client) -> list[tuple[str, list[str]]]:
    found = []
    for name in _route_names(get_resolver()):
        try:
            url = reverse(name)
        except NoReverseMatch:  # a route that needs arguments is not a list
            continue
        if url.startswith("/api/") or url.endswith((".csv", "/logout/")):
            continue
        response = client.get(url)
        listing = (response.context or {}).get("listing") if response.status_code == 200 else None
        if listing is not None:
            found.append((url, [f["param"] for f in listing.filters] + PAGING))
    return sorted(found)


def _no_5xx(client: Client, url: str, params: dict[str, str]) -> None:
    response = client.get(url, params)
    assert response.status_code < 500, (url, params, response.status_code)


def test_every_api_list_survives_hostile_values(personas: Personas) -> None:
    client = personas.client("admin_alice")
    lists = _api_lists()
    assert len(lists) >= 8, lists
    for url, params in lists:
        for param in params:
            for value in NASTY:
                _no_5xx(client, url, {param: value})


def test_every_list_page_survives_hostile_values(personas: Personas) -> None:
    client = personas.client("admin_alice")
    pages = _page_lists(client)
    assert len(pages) >= 8, pages
    for url, params in pages:
        for param in params:
            for value in NASTY:
                _no_5xx(client, url, {param: value})


VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=30),
    st.dates().map(str),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_combinations_never_answer_5xx(personas: Personas, data: Any) -> None:
    client = personas.client("officer_olga")
    url, params = data.draw(st.sampled_from(_api_lists()))
    chosen = data.draw(st.dictionaries(st.sampled_from(params), VALUES, max_size=4))
    _no_5xx(client, url, {key: value.replace("\x00", "") if key == "page" else value for key, value in chosen.items()})
