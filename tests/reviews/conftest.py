"""Helpers for the access-review tests: importing known accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reviews.models import SystemAccountImport
from reviews.services.imports import AccountRow, write_snapshot


def snapshot(system: str, rows: Sequence[tuple[str, str, Sequence[str], date | None, str]]) -> SystemAccountImport:
    """Import ``(account, email, entitlements, last_sign_in, status)`` rows for ``system``."""
    parsed = [AccountRow(a, e.lower(), tuple(ents), last, status) for a, e, ents, last, status in rows]
    return write_snapshot(system=system, rows=parsed, actor=None, source="command")
