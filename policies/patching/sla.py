"""Remediation due dates: days allowed per severity, counted from when a finding was first seen.

Defaults (``DEFAULT_SLA_DAYS``): known exploited 14, critical 15, high 30, medium 90,
low 180. ``unknown`` is treated as high unless the mapping names ``unknown`` itself;
``none`` (a CVSS score of 0.0) is treated as low unless the mapping names ``none``.
A known-exploited finding is due by the *earlier* of the known-exploited date and its
severity's date. A custom ``sla`` mapping overrides some or all of the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from policies.patching.severity import Severity

KNOWN_EXPLOITED = "known_exploited"

DEFAULT_SLA_DAYS: Mapping[str, int] = {
    KNOWN_EXPLOITED: 14,
    Severity.CRITICAL.value: 15,
    Severity.HIGH.value: 30,
    Severity.MEDIUM.value: 90,
    Severity.LOW.value: 180,
}

_KEYS = frozenset({*DEFAULT_SLA_DAYS, Severity.UNKNOWN.value, Severity.NONE.value})
_FALLBACK = {Severity.UNKNOWN.value: Severity.HIGH.value, Severity.NONE.value: Severity.LOW.value}


def sla_days(severity: Severity | str, known_exploited: bool, sla: Mapping[str, int] | None = None) -> int:
    """The number of days allowed; ``ValueError`` for an unknown severity or a bad mapping."""
    days = dict(DEFAULT_SLA_DAYS)
    for key, value in (sla or {}).items():
        if key not in _KEYS:
            raise ValueError(f"unknown SLA key {key!r} (one of {', '.join(sorted(_KEYS))})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"SLA days for {key!r} must be a whole number >= 0, got {value!r}")
        days[key] = value
    level = Severity(severity.lower() if isinstance(severity, str) else severity).value
    allowed = days[level] if level in days else days[_FALLBACK[level]]
    if known_exploited:
        allowed = min(allowed, days[KNOWN_EXPLOITED])
    return allowed


def due_date(
    first_seen: date, severity: Severity | str, known_exploited: bool, sla: Mapping[str, int] | None = None
) -> date:
    """``first_seen`` plus the days the SLA allows for this severity."""
    return first_seen + timedelta(days=sla_days(severity, known_exploited, sla))
