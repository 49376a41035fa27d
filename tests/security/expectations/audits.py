"""The audit trail: pages and API, for Administrators and Compliance officers only."""

from __future__ import annotations

from typing import Any

from audits.models import LogEntry
from tests.security.expectations import API_ANON, Route, roles

TRAIL_READERS = roles("admin_alice", "officer_olga")


def _first_entry(p: Any) -> dict[str, Any]:
    """Creating the personas wrote entries; the first one is always there."""
    return {"pk": LogEntry.objects.order_by("sequence").values_list("pk", flat=True).first()}


ROUTES = [
    Route("audits:trail", TRAIL_READERS),
    Route("audits:trail_export", TRAIL_READERS),
    Route("audits:entry_detail", TRAIL_READERS, kwargs=_first_entry),
    Route("audit-entry-list", TRAIL_READERS, anonymous=API_ANON),
    Route("audit-entry-detail", TRAIL_READERS, kwargs=_first_entry, anonymous=API_ANON),
]
