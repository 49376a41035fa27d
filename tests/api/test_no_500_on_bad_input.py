"""Issue 10, item 6: bad input is a clear 4xx, never a 500, on both databases.

- DRF format-suffix URLs (``/api/v1/me.json`` ...) answered 500: there are none now (404).
- A JSON body nested ~1,000 deep raised ``RecursionError`` (500): the API parser refuses
  depth past ``MAX_JSON_DEPTH`` before parsing (400), and bodies past the size limit (413).
- Huge integer ids posted to bulk owner, applicability, new control and new risk raised
  ``OverflowError`` (SQLite) or ``DataError`` (PostgreSQL): now a field error.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework import parsers

from core.api_parsers import MAX_JSON_DEPTH
from core.api_parsers import JSONParser as BoundedJSONParser
from governance.models import Control, Framework, Requirement, Risk
from tests.api.conftest import post_json, token_client

HUGE = 10**30


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me.json", "/api/v1/controls.json", "/api/v1/soa/1.json", "/api/v1/users.json", "/api/v1/risks/1.json"],
)
def test_format_suffixes_are_not_routes(personas: Any, path: str) -> None:
    client, _ = token_client(personas["admin_alice"])
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deeply_nested_json_is_a_clear_400(personas: Any, depth: int) -> None:
    client, _ = token_client(personas["officer_olga"])
    body = '{"ids": ' + "[" * depth + "]" * depth + ', "owner": null}'
    response = client.post("/api/v1/controls/bulk-owner/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]


def test_nesting_inside_strings_does_not_count(personas: Any) -> None:
    client, _ = token_client(personas["officer_olga"])
    response = post_json(client, "/api/v1/controls/bulk-owner/", {"ids": [1], "owner": None, "note": "[" * 5000})
    assert response.status_code == 400
    assert "nested" not in str(response.json())  # refused for the unknown id, not for the depth


def test_a_json_body_past_the_size_limit_is_413(personas: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client, _ = token_client(personas["officer_olga"])
    response = post_json(client, "/api/v1/controls/bulk-owner/", {"ids": list(range(1, 400)), "owner": None})
    assert response.status_code == 413


def _api_views() -> list[Any]:
    views = []

    def walk(patterns: list[Any]) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns)
            elif isinstance(p, URLPattern) and hasattr(p.callback, "cls"):
                views.append(p.callback)

    walk(get_resolver().url_patterns)
    return views


def test_every_api_route_parses_json_with_the_bounded_parser() -> None:
    unbounded = []
    for view in _api_views():
        classes = view.initkwargs.get("parser_classes", view.cls.parser_classes)
        for parser in classes:
            if issubclass(parser, parsers.JSONParser) and not issubclass(parser, BoundedJSONParser):
                unbounded.append(f"{view.cls.__name__}: {parser.__module__}.{parser.__name__}")
    assert len(_api_views()) > 20
    assert not unbounded, unbounded


# --- huge ids in form bodies and API bodies ---


@pytest.fixture
def objects(personas: Any) -> dict[str, Any]:
    framework = Framework.objects.create(key="huge", name="Huge")
    return {
        "requirement": Requirement.objects.create(framework=framework, ref_id="H-1", title="One"),
        "control": Control.objects.create(ref="CTL-H", title="Huge"),
        "risk": Risk.objects.create(ref="RSK-H", title="Huge"),
    }


PAGES = [
    ("governance:control_bulk_owner", {"owner": HUGE, "controls": [HUGE]}),
    ("governance:risk_bulk_owner", {"owner": HUGE, "ids": [HUGE]}),
    ("governance:requirement_bulk_owner", {"owner": HUGE, "ids": [HUGE]}),
    ("governance:requirement_bulk_applicability", {"ids": [HUGE], "applicable": "0", "justification": "x"}),
    (
        "governance:control_create",
        {"ref": "C1", "title": "t", "status": "planned", "test_frequency": "annual", "requirements": [HUGE]},
    ),
    (
        "governance:control_create",
        {"ref": "C2", "title": "t", "status": "planned", "test_frequency": "annual", "owner": HUGE},
    ),
    (
        "governance:risk_create",
        {
            "title": "Huge risk",
            "inherent_likelihood": "3",
            "inherent_impact": "3",
            "residual_likelihood": "2",
            "residual_impact": "2",
            "treatment": "mitigate",
            "assets": [HUGE],
            "controls": [HUGE],
        },
    ),
]


@pytest.mark.parametrize(("name", "data"), PAGES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PAGES)])
def test_huge_ids_in_a_form_are_refused_not_a_500(personas: Any, objects: Any, name: str, data: Any) -> None:
    client = personas.client("officer_olga")
    response = client.post(reverse(name), data)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        form = response.context["form"]
        assert form.errors, "a huge id must be a field error"
    assert not Control.objects.filter(ref__in=["C1", "C2"]).exists()
    assert not Risk.objects.filter(title="Huge risk").exists()


API = [
    ("/api/v1/controls/bulk-owner/", {"ids": [HUGE], "owner": None}, "ids"),
    ("/api/v1/controls/bulk-owner/", {"ids": [1], "owner": HUGE}, "owner"),
    ("/api/v1/risks/bulk-owner/", {"ids": [1], "owner": HUGE}, "owner"),
    ("/api/v1/requirements/bulk-owner/", {"ids": [HUGE], "owner": None}, "ids"),
    ("/api/v1/controls/", {"ref": "C9", "title": "t", "requirements": [HUGE]}, "requirements"),
    ("/api/v1/controls/", {"ref": "C9", "title": "t", "owner": HUGE}, "owner"),
    ("/api/v1/risks/", {"title": "t", "assets": [HUGE], "controls": [HUGE]}, "assets"),
]


@pytest.mark.parametrize(("url", "data", "field"), API)
def test_huge_ids_in_an_api_body_are_a_field_error(
    personas: Any, objects: Any, url: str, data: Any, field: str
) -> None:
    client, _ = token_client(personas["admin_alice"])
    response = post_json(client, url, data)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_huge_id_in_the_applicability_api_is_a_404_or_field_error(personas: Any, objects: Any) -> None:
    client, _ = token_client(personas["officer_olga"])
    response = client.patch(f"/api/v1/requirements/{HUGE}/", {"applicable": False}, content_type="application/json")
    assert response.status_code == 404
    assert Client().get(f"/api/v1/requirements/{HUGE}/").status_code == 401
