"""Advisories between the engine's dataclasses and ``policies.models.Advisory`` rows.

``affected`` is stored in the OSV shape (``[{"ecosystem", "name", "purl", "ranges": [{"type",
"events": [{"introduced": "0"}, ...]}], "versions", "severity", "ecosystem_specific",
"database_specific"}]``), keeping only the range types the engine evaluates (``GIT`` ranges,
lists of commits, would only take room). Rows are turned back into ``Advisory`` objects without
re-validation: they were validated when they were read.

An advisory is *known exploited* when its record says so in ``database_specific``
(``known_exploited``, ``cisa_kev`` or ``kev``, true or a date), as feeds that merge CISA's
KEV catalogue do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from policies.patching.advisories import Advisory, Affected, Event, Package, Range, SeverityScore
from policies.patching.aliases import canonical_id
from policies.patching.ecosystems import normalize_ecosystem, normalize_name
from policies.patching.osv import EVALUATED_RANGE_TYPES
from policies.patching.severity import Severity, SeverityInfo

KEV_KEYS = ("known_exploited", "cisa_kev", "kev")


def affected_to_json(affected: Affected) -> dict[str, Any]:
    entry: dict[str, Any] = {"ecosystem": affected.package.ecosystem, "name": affected.package.name}
    if affected.package.purl:
        entry["purl"] = affected.package.purl
    ranges = [
        {"type": r.type, "events": [{e.kind: e.version} for e in r.events]}
        for r in affected.ranges
        if r.type in EVALUATED_RANGE_TYPES
    ]
    if ranges:
        entry["ranges"] = ranges
    if affected.versions:
        entry["versions"] = list(affected.versions)
    if affected.severity:
        entry["severity"] = [{"type": s.type, "score": s.score} for s in affected.severity]
    if affected.ecosystem_specific:
        entry["ecosystem_specific"] = dict(affected.ecosystem_specific)
    if affected.database_specific:
        entry["database_specific"] = dict(affected.database_specific)
    return entry


def affected_from_json(entry: Mapping[str, Any]) -> Affected:
    return Affected(
        package=Package(entry["ecosystem"], entry["name"], entry.get("purl")),
        ranges=tuple(
            Range(r["type"], tuple(Event(kind, version) for event in r["events"] for kind, version in event.items()))
            for r in entry.get("ranges", ())
        ),
        versions=tuple(entry.get("versions", ())),
        severity=tuple(SeverityScore(s["type"], s["score"]) for s in entry.get("severity", ())),
        ecosystem_specific=entry.get("ecosystem_specific") or {},
        database_specific=entry.get("database_specific") or {},
    )


def known_exploited(advisory: Advisory) -> bool:
    specific = advisory.database_specific or {}
    return any(bool(specific.get(key)) for key in KEV_KEYS)


def package_keys(affected: Iterable[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """The (ecosystem, normalised name) pairs stored affected entries name."""
    keys = set()
    for entry in affected:
        ecosystem = normalize_ecosystem(entry["ecosystem"])
        keys.add((ecosystem, normalize_name(ecosystem, entry["name"])))
    return keys


def _package_summary(affected: list[dict[str, Any]]) -> str:
    names = list(dict.fromkeys(f"{e['name']} ({e['ecosystem']})" for e in affected))
    text = ", ".join(names)
    return text if len(text) <= 300 else text[:297] + "..."


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def stored_fields(advisory: Advisory, *, source: str) -> dict[str, Any]:
    """The ``Advisory`` model's fields for one engine advisory, with the digest of its content."""
    affected = [affected_to_json(entry) for entry in advisory.affected]
    severity = advisory.severity
    fields: dict[str, Any] = {
        "advisory_id": advisory.id,
        "source": source,
        "origin": advisory.source[:500],
        "aliases": list(dict.fromkeys(a for a in advisory.aliases if a and a != advisory.id)),
        "summary": advisory.summary or advisory.details[:1000],
        "package_summary": _package_summary(affected),
        "severity": severity.level.value,
        "severity_source": severity.source[:30],
        "cvss_score": severity.score,
        "cvss_vector": (severity.vector or "")[:255],
        "known_exploited": known_exploited(advisory),
        "published": advisory.published,
        "modified": advisory.modified,
        "withdrawn": advisory.withdrawn,
        "affected": affected,
    }
    content = {k: v for k, v in fields.items() if k != "origin"}
    content.update(published=_iso(advisory.published), modified=_iso(advisory.modified))
    content["withdrawn"] = _iso(advisory.withdrawn)
    fields["digest"] = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    fields["vulnerability_id"] = canonical_id([advisory.id, *fields["aliases"]])
    return fields


def engine_advisory(
    advisory_id: str,
    aliases: list[str],
    affected: list[dict[str, Any]],
    modified: datetime | None,
    severity: str,
    severity_source: str,
    cvss_score: float | None,
    cvss_vector: str,
) -> Advisory:
    """A stored advisory (not withdrawn) as the engine's ``Advisory``."""
    return Advisory(
        id=advisory_id,
        modified=modified,
        aliases=tuple(aliases),
        affected=tuple(affected_from_json(entry) for entry in affected),
        severity=SeverityInfo(Severity(severity), severity_source or "none", cvss_score, cvss_vector or None),
    )


# The columns ``engine_advisory`` takes, in order (for ``values_list``).
ENGINE_COLUMNS = (
    "advisory_id",
    "aliases",
    "affected",
    "modified",
    "severity",
    "severity_source",
    "cvss_score",
    "cvss_vector",
)
