"""Helpers for the access tests: sign in through the real page, read the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from access.models import AuthEvent
from audits.models import LogEntry


def post_sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    """Post credentials to the sign-in page, as a browser would."""
    return client.post(reverse("access:login"), {"username": email, "password": password}, **extra)


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def audit_entries_for(event: AuthEvent) -> Any:
    """Audit-trail entries recorded for one sign-in event."""
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(AuthEvent), object_pk=str(event.pk))
