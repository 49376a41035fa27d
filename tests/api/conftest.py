"""Helpers for API tests: clients signed in with a personal token."""

from __future__ import annotations

from typing import Any

from django.test import Client

from access.models import User
from access.services import create_api_token


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def token_client(user: User, *, days: int | None = None) -> tuple[Client, str]:
    """A client that sends a fresh personal token of ``user`` (no session)."""
    _, raw = create_api_token(user=user, name="tests", days=days)
    return Client(headers=bearer(raw)), raw


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=data, content_type="application/json")
