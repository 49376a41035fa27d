"""The advisory data model shared by the OSV and Debian tracker readers.

Plain frozen dataclasses: an ``Advisory`` has ``Affected`` entries, each naming a
``Package`` (ecosystem spelled the OSV way, ``Debian:12``) with ``Range`` events and/or
an explicit ``versions`` list, and a ``SeverityInfo`` worked out when it was read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from policies.patching.severity import (
    UNKNOWN_SEVERITY,
    CVSSError,
    Severity,
    SeverityInfo,
    cvss3_base_score,
    level_from_score,
    level_from_word,
    worst,
)

INTRODUCED = "introduced"
FIXED = "fixed"
LAST_AFFECTED = "last_affected"
LIMIT = "limit"
EVENT_KINDS = (INTRODUCED, FIXED, LAST_AFFECTED, LIMIT)


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # one of EVENT_KINDS
    version: str


@dataclass(frozen=True, slots=True)
class Range:
    type: str  # SEMVER, ECOSYSTEM, GIT (or a future type, ignored)
    events: tuple[Event, ...]
    repo: str | None = None


@dataclass(frozen=True, slots=True)
class Package:
    ecosystem: str  # normalised: PyPI, npm, Debian:12, ...
    name: str  # as the record spells it (see ecosystems.normalize_name for matching)
    purl: str | None = None


@dataclass(frozen=True, slots=True)
class SeverityScore:
    type: str  # CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, ...
    score: str


@dataclass(frozen=True, slots=True)
class Reference:
    type: str
    url: str


@dataclass(frozen=True, slots=True)
class Affected:
    package: Package
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()
    severity: tuple[SeverityScore, ...] = ()
    ecosystem_specific: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    database_specific: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Advisory:
    """One advisory: an OSV record, or one CVE of the Debian tracker (``debian_tracker``)."""

    id: str
    modified: datetime | None
    published: datetime | None = None
    withdrawn: datetime | None = None
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    summary: str = ""
    details: str = ""
    severity_scores: tuple[SeverityScore, ...] = ()
    affected: tuple[Affected, ...] = ()
    references: tuple[Reference, ...] = ()
    database_specific: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    severity: SeverityInfo = UNKNOWN_SEVERITY
    warnings: tuple[str, ...] = ()
    source: str = ""

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn is not None


# -- severity ---------------------------------------------------------------------------


def _word_of(mapping: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def severity_of(
    scores: tuple[SeverityScore, ...],
    database_specific: Mapping[str, Any],
    ecosystem_specific: Mapping[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> SeverityInfo:
    """The level from, in this order of trust:

    1. CVSS v3 vectors: the highest computed base score (malformed vectors are skipped,
       with a warning when ``warnings`` is given);
    2. an ``Ubuntu`` priority score;
    3. ``database_specific.severity`` (GHSA's ``HIGH``/``MODERATE``/...), then
       ``ecosystem_specific.severity`` or ``.urgency`` (Debian's);
    4. otherwise ``unknown`` (a CVSS v4 vector, kept in ``vector``, is not scored here).
    """
    computed: list[SeverityInfo] = []
    for item in scores:
        if item.type != "CVSS_V3":
            continue
        try:
            score = cvss3_base_score(item.score)
        except CVSSError as error:
            if warnings is not None:
                warnings.append(f"severity not scored: {error}")
            continue
        computed.append(SeverityInfo(level_from_score(score), "cvss_v3", score, item.score))
    if computed:
        return max(computed, key=lambda info: info.score or 0.0)
    for item in scores:
        if item.type == "Ubuntu" and level_from_word(item.score) != Severity.UNKNOWN:
            return SeverityInfo(level_from_word(item.score), "Ubuntu")
    for source, mapping in (("database_specific", database_specific), ("ecosystem_specific", ecosystem_specific)):
        word = _word_of(mapping or {}, "severity", "urgency")
        if word is not None and level_from_word(word) != Severity.UNKNOWN:
            return SeverityInfo(level_from_word(word), source)
    v4 = next((item.score for item in scores if item.type == "CVSS_V4"), None)
    return SeverityInfo(Severity.UNKNOWN, "cvss_v4" if v4 else "none", None, v4)


def affected_severity(advisory: Advisory, affected: Affected) -> SeverityInfo:
    """The level for one affected package: its own scores or ratings if it has any, else the advisory's."""
    own = severity_of(affected.severity, affected.database_specific, affected.ecosystem_specific)
    return own if own.level != Severity.UNKNOWN else advisory.severity


def advisory_severity(
    scores: tuple[SeverityScore, ...],
    database_specific: Mapping[str, Any],
    affected: tuple[Affected, ...],
    warnings: list[str] | None = None,
) -> SeverityInfo:
    """The advisory's level: top-level scores/ratings, else the worst of its packages'."""
    top = severity_of(scores, database_specific, None, warnings)
    if top.level != Severity.UNKNOWN:
        return top
    per_package = [severity_of(a.severity, a.database_specific, a.ecosystem_specific, warnings) for a in affected]
    best = worst(per_package)
    return best if best.level != Severity.UNKNOWN else top
