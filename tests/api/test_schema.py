"""The OpenAPI schema generates cleanly; schema and docs are for signed-in users; docs obey the CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.api.conftest import token_client

SCHEMA = "/api/schema/"
DOCS = "/api/docs/"


def test_the_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    """Any endpoint added later that spectacular cannot describe makes this fail."""
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/users/{id}/roles/" in schema["paths"]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            # Every operation documents the errors it can give, so clients (and Schemathesis) know them.
            assert {"400", "401", "403"} <= set(operation["responses"]), (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)
            assert operation.get("security"), (method, path)


def test_the_schema_is_for_signed_in_users(personas: Any) -> None:
    assert reverse("api-schema") == SCHEMA
    assert Client().get(SCHEMA).status_code == 401

    client, _ = token_client(personas["employee_emil"])
    response = client.get(SCHEMA, headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Rampart API"
    assert personas.client("auditor_aude").get(SCHEMA).status_code == 200


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.script_bodies: list[str] = []
        self.links: list[dict[str, str | None]] = []
        self.styles = 0
        self.style_attributes = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if any(name == "style" for name, _ in attrs):
            self.style_attributes += 1
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True
        elif tag == "link":
            self.links.append(dict(attrs))
        elif tag == "style":
            self.styles += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_bodies.append(data)


def test_the_docs_page_has_no_inline_script_or_style_and_serves_everything_itself(personas: Any) -> None:
    assert reverse("api-docs") == DOCS
    client = personas.client("employee_emil")

    response = client.get(DOCS)

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    page = _Assets()
    page.feed(response.content.decode())
    assert page.script_bodies == []
    assert page.styles == 0
    assert page.style_attributes == 0
    sources = [s["src"] for s in page.scripts]
    assert all(sources), "every <script> has a src"
    hrefs = [link["href"] for link in page.links]
    init_scripts = [s for s in sources if s and s.startswith(DOCS)]
    assert len(init_scripts) == 1
    for url in [*(s for s in sources if s not in init_scripts), *hrefs]:
        assert url and url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not one of our static files"
        assert client.get(url).status_code == 200, url

    script = client.get(init_scripts[0])

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert re.search(r'"?/api/schema/"?', script.content.decode())


def test_the_docs_send_anonymous_visitors_to_sign_in(db: Any) -> None:
    response = Client().get(DOCS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:login"))


def test_the_docs_refuse_a_session_that_has_not_passed_mfa(personas: Any) -> None:
    client = Client()
    client.force_login(personas["admin_alice"])

    assert client.get(DOCS).status_code == 403
