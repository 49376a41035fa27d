"""Pages carry the security headers: strict CSP, no framing, no sniffing, a referrer policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse


def _assert_headers(response: Any) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_sign_in_page_has_security_headers(db: Any) -> None:
    response = Client().get(reverse("access:login"))
    assert response.status_code == 200
    _assert_headers(response)


@pytest.mark.parametrize("name", ["access:account", "access:token_list", "access:user_list", "access:mfa_enrol"])
def test_signed_in_pages_have_security_headers(personas: Any, name: str) -> None:
    response = personas.client("admin_alice").get(reverse(name))
    assert response.status_code == 200
    _assert_headers(response)


def test_pages_have_no_inline_script_or_style(personas: Any) -> None:
    client = personas.client("admin_alice")
    for name in ("access:account", "access:token_list", "access:user_list", "access:mfa_enrol", "access:user_invite"):
        html = client.get(reverse(name)).content.decode()
        assert "style=" not in html, name
        assert "<script>" not in html, name
        assert "onclick" not in html.lower(), name
