"""The Swagger UI docs page in a real browser: it renders the API under our strict CSP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PERSONA_PASSWORD, make_persona
from tests.e2e.conftest import Console

pytestmark = pytest.mark.e2e


def test_the_docs_render_every_endpoint_without_csp_violations(page: Any, console: Console) -> None:
    emil = make_persona("employee_emil")
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(emil.email)
    page.get_by_label("Password").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    console.messages.clear()  # only what the docs page itself says counts here

    page.goto("/api/docs/")

    # Swagger UI fetched the schema (with the session) and drew one block per operation.
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 12
    assert page.get_by_text("/api/v1/users/{id}/roles/").count() >= 1
    assert console.failed_requests == [], console.failed_requests
    assert console.mentioning("Content Security Policy") == [], "\n".join(console.messages)
    assert console.mentioning("pageerror") == [], "\n".join(console.messages)
    assert [m for m in console.messages if m.startswith("error")] == [], "\n".join(console.messages)
