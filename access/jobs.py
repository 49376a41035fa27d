"""Housekeeping jobs of access: expired API tokens and expired sessions."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from access import services
from core.jobs_registry import job


@job("access.expire_api_tokens", description="Revoke API tokens that are past their expiry date.", cron="7 * * * *")
def expire_api_tokens(run: Any) -> str:
    count = services.expire_api_tokens()
    return f"Revoked {count} expired API token(s)."


@job("access.clear_sessions", description="Delete expired sign-in sessions.", cron="40 3 * * *")
def clear_sessions(run: Any) -> str:
    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    call_command("clearsessions")
    return f"Deleted {expired} expired session(s)."
