"""OSV records (schema 1.x) as dataclasses, and OSV's range evaluation.

``parse_osv`` turns one decoded JSON record into an ``Advisory``; a structural problem
raises ``OSVFormatError`` naming the source and the JSON path (``$.affected[0].ranges[1]
.events[2]``). Problems that do not make the record unusable (a CVSS vector that cannot
be scored) go to ``Advisory.warnings``.

``is_affected(affected, version)`` follows the schema's evaluation pseudo-code:

- a version listed in ``versions`` is affected (verbatim, or equal under the ecosystem's
  ordering when both parse: PyPI ``1.0`` is listed ``1.0.0``);
- per range, ``BeforeLimits``: with no ``limit`` event the range is unbounded, else the
  version must sort below at least one limit (``*`` is infinity);
- the events are sorted by version (``introduced: "0"`` before everything; equal versions
  keep the record's order) and walked: ``introduced`` <= v makes it vulnerable,
  ``fixed`` <= v or ``last_affected`` < v makes it not vulnerable; the last word counts.

``SEMVER`` ranges use SemVer order, ``ECOSYSTEM`` ranges the package ecosystem's order
(``versions.ordering_for``); ``GIT`` ranges (commit hashes) and unknown types are ignored.
A range whose ordering is unknown or whose event versions do not parse under it is
skipped and reported in ``AffectedMatcher.problems`` (never guessed). An installed
version that the needed ordering refuses raises ``VersionError`` unless it is listed in
``versions`` verbatim.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from policies.patching.advisories import (
    EVENT_KINDS,
    FIXED,
    INTRODUCED,
    LAST_AFFECTED,
    LIMIT,
    Advisory,
    Affected,
    Event,
    Package,
    Range,
    Reference,
    SeverityScore,
    advisory_severity,
)
from policies.patching.ecosystems import normalize_ecosystem
from policies.patching.versions import SEMVER, Ordering, VersionError, VersionKey, ordering_for

EVALUATED_RANGE_TYPES = ("SEMVER", "ECOSYSTEM")


class OSVFormatError(ValueError):
    """A malformed OSV record: ``source`` (file, or zip member), JSON ``path`` and the problem."""

    def __init__(self, source: str, path: str, problem: str) -> None:
        super().__init__(f"{source}: {path}: {problem}")
        self.source = source
        self.path = path
        self.problem = problem


# -- evaluation ---------------------------------------------------------------------------

# Event positions: (0,) is "0" (before everything), (1, key) a real version, (2,) "*" (infinity).
_BOTTOM: tuple[int] = (0,)
_TOP: tuple[int] = (2,)


@dataclass(frozen=True, slots=True)
class Verdict:
    affected: bool
    fixed_version: str | None = None  # the first fix above the version, when known


@dataclass(frozen=True, slots=True)
class _CompiledRange:
    ordering: Ordering
    events: tuple[tuple[VersionKey, str, str], ...]  # (position, kind, version), sorted
    limits: tuple[VersionKey, ...] | None


class AffectedMatcher:
    """An ``Affected`` entry compiled once (event versions parsed and sorted) for many checks."""

    __slots__ = ("_listed", "_listed_keys", "_ordering", "_ranges", "affected", "problems")

    def __init__(self, affected: Affected) -> None:
        self.affected = affected
        self.problems: list[str] = []
        self._ordering = ordering_for(affected.package.ecosystem)
        self._listed = frozenset(affected.versions)
        self._listed_keys: frozenset[VersionKey] = frozenset()
        if self._ordering is not None:
            keys = set()
            for version in affected.versions:
                with contextlib.suppress(VersionError):  # an unparsable one still matches verbatim
                    keys.add(self._ordering.key(version))
            self._listed_keys = frozenset(keys)
        ranges = []
        for index, rng in enumerate(affected.ranges):
            compiled = self._compile(index, rng)
            if compiled is not None:
                ranges.append(compiled)
        self._ranges = tuple(ranges)

    def _compile(self, index: int, rng: Range) -> _CompiledRange | None:
        if rng.type not in EVALUATED_RANGE_TYPES:
            return None
        ordering = SEMVER if rng.type == "SEMVER" else self._ordering
        where = f"{self.affected.package.ecosystem}/{self.affected.package.name} range {index} ({rng.type})"
        if ordering is None:
            self.problems.append(f"{where}: no version ordering for this ecosystem; range skipped")
            return None
        events: list[tuple[VersionKey, str, str]] = []
        limits: list[VersionKey] = []
        try:
            for event in rng.events:
                if event.kind == INTRODUCED and event.version == "0":
                    position: VersionKey = _BOTTOM
                elif event.kind == LIMIT and "*" in event.version:
                    position = _TOP
                else:
                    position = (1, ordering.key(event.version))
                if event.kind == LIMIT:
                    limits.append(position)
                else:
                    events.append((position, event.kind, event.version))
        except VersionError as error:
            self.problems.append(f"{where}: {error}; range skipped")
            return None
        events.sort(key=lambda item: item[0])  # stable: equal versions keep the record's order
        return _CompiledRange(ordering, tuple(events), tuple(limits) if limits else None)

    def check(self, version: str) -> Verdict:
        """Whether ``version`` is affected and the first fixed version above it (if any)."""
        listed = version in self._listed
        try:
            if not listed and self._listed_keys and self._ordering is not None:
                listed = self._ordering.key(version) in self._listed_keys
            fixes: list[tuple[str, VersionKey, str | None]] = []
            for rng in self._ranges:
                position = (1, rng.ordering.key(version))
                hit, fix = _evaluate(rng, position)
                if hit:
                    fixes.append((rng.ordering.name, *(fix or (position, None))))
        except VersionError:
            if listed:
                return Verdict(True)
            raise
        if not fixes:
            return Verdict(listed)
        if any(text is None for _, _, text in fixes):
            return Verdict(True)
        if len({name for name, _, _ in fixes}) > 1:
            return Verdict(True, fixes[0][2])  # fixes in different orderings cannot be compared
        # Overlapping ranges (rare): the version must clear every fix, so the highest counts.
        return Verdict(True, max(fixes, key=lambda item: item[1])[2])

    def matches(self, version: str) -> bool:
        return self.check(version).affected


def _evaluate(rng: _CompiledRange, position: VersionKey) -> tuple[bool, tuple[VersionKey, str] | None]:
    if rng.limits is not None and not any(position < limit for limit in rng.limits):
        return False, None
    vulnerable = False
    for event_position, kind, text in rng.events:
        if event_position > position:
            if vulnerable and kind == FIXED:
                return True, (event_position, text)
            if not vulnerable or kind == LAST_AFFECTED:
                break
            continue
        if kind == INTRODUCED:
            vulnerable = True
        elif kind == FIXED or (kind == LAST_AFFECTED and position > event_position):
            vulnerable = False
    return vulnerable, None


def is_affected(affected: Affected, version: str) -> bool:
    """OSV's ``IsVulnerable`` for one affected entry (the package is assumed to match)."""
    return AffectedMatcher(affected).matches(version)


# -- parsing -------------------------------------------------------------------------------


class _Record:
    """Typed access to one decoded record, failing with the source and JSON path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> OSVFormatError:
        return OSVFormatError(self.source, path, problem)

    def object(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"expected an object, got {type(value).__name__}")
        return value

    def optional_object(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = parent.get(key)
        return {} if value is None else self.object(value, f"{path}.{key}")

    def string(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str | None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{path}.{key}", "required field is missing")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{path}.{key}", f"expected a string, got {type(value).__name__}")
        if required and not value.strip():
            raise self.fail(f"{path}.{key}", "must not be empty")
        return value

    def array(self, parent: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{path}.{key}", f"expected an array, got {type(value).__name__}")
        return [(f"{path}.{key}[{index}]", item) for index, item in enumerate(value)]

    def strings(self, parent: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        out = []
        for item_path, item in self.array(parent, key, path):
            if not isinstance(item, str):
                raise self.fail(item_path, f"expected a string, got {type(item).__name__}")
            out.append(item)
        return tuple(out)

    def timestamp(self, parent: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> datetime | None:
        text = self.string(parent, key, path, required=required)
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise self.fail(f"{path}.{key}", f"not an RFC 3339 timestamp: {text!r}") from None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    def scores(self, parent: Mapping[str, Any], path: str) -> tuple[SeverityScore, ...]:
        out = []
        for item_path, item in self.array(parent, "severity", path):
            obj = self.object(item, item_path)
            score_type = self.string(obj, "type", item_path, required=True) or ""
            out.append(SeverityScore(score_type, self.string(obj, "score", item_path, required=True) or ""))
        return tuple(out)


def _parse_range(record: _Record, value: Any, path: str) -> Range:
    obj = record.object(value, path)
    range_type = record.string(obj, "type", path, required=True) or ""
    events = []
    items = record.array(obj, "events", path)
    if not items:
        raise record.fail(f"{path}.events", "a range needs at least one event")
    for event_path, item in items:
        event = record.object(item, event_path)
        if len(event) != 1:
            raise record.fail(event_path, f"an event has exactly one of {', '.join(EVENT_KINDS)}; got {sorted(event)}")
        ((kind, version),) = event.items()
        if kind not in EVENT_KINDS:
            raise record.fail(event_path, f"unknown event {kind!r}")
        if not isinstance(version, str) or not version.strip():
            raise record.fail(f"{event_path}.{kind}", "expected a non-empty version string")
        events.append(Event(kind, version.strip()))
    if range_type in EVALUATED_RANGE_TYPES and not any(event.kind == INTRODUCED for event in events):
        raise record.fail(f"{path}.events", "a range needs an 'introduced' event")
    return Range(range_type, tuple(events), record.string(obj, "repo", path))


def _parse_affected(record: _Record, value: Any, path: str) -> Affected | None:
    obj = record.object(value, path)
    if obj.get("package") is None:
        return None  # GIT-only entries name no package; nothing here can match them
    package = record.object(obj["package"], f"{path}.package")
    ecosystem = record.string(package, "ecosystem", f"{path}.package", required=True) or ""
    name = record.string(package, "name", f"{path}.package", required=True) or ""
    purl = record.string(package, "purl", f"{path}.package")
    return Affected(
        package=Package(normalize_ecosystem(ecosystem), name.strip(), purl),
        ranges=tuple(_parse_range(record, item, item_path) for item_path, item in record.array(obj, "ranges", path)),
        versions=tuple(version.strip() for version in record.strings(obj, "versions", path)),
        severity=record.scores(obj, path),
        ecosystem_specific=record.optional_object(obj, "ecosystem_specific", path),
        database_specific=record.optional_object(obj, "database_specific", path),
    )


def parse_osv(data: Mapping[str, Any] | str | bytes, source: str = "<record>") -> Advisory:
    """One OSV record (decoded, or JSON text) as an ``Advisory``; ``OSVFormatError`` if malformed."""
    record = _Record(source)
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise record.fail("$", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
        except UnicodeDecodeError as error:
            raise record.fail("$", f"not UTF-8: {error.reason}") from None
    obj = record.object(data, "$")
    schema_version = record.string(obj, "schema_version", "$")
    if schema_version is not None and schema_version.split(".")[0] != "1":
        raise record.fail("$.schema_version", f"unsupported schema version {schema_version!r} (1.x expected)")
    advisory_id = (record.string(obj, "id", "$", required=True) or "").strip()
    affected = tuple(
        entry
        for entry in (_parse_affected(record, item, path) for path, item in record.array(obj, "affected", "$"))
        if entry is not None
    )
    references = []
    for path, item in record.array(obj, "references", "$"):
        ref = record.object(item, path)
        references.append(Reference(record.string(ref, "type", path) or "", record.string(ref, "url", path) or ""))
    scores = record.scores(obj, "$")
    database_specific = record.optional_object(obj, "database_specific", "$")
    warnings: list[str] = []
    severity = advisory_severity(scores, database_specific, affected, warnings)
    return Advisory(
        id=advisory_id,
        modified=record.timestamp(obj, "modified", "$", required=True),
        published=record.timestamp(obj, "published", "$"),
        withdrawn=record.timestamp(obj, "withdrawn", "$"),
        aliases=tuple(alias.strip() for alias in record.strings(obj, "aliases", "$")),
        related=record.strings(obj, "related", "$"),
        upstream=record.strings(obj, "upstream", "$"),
        summary=record.string(obj, "summary", "$") or "",
        details=record.string(obj, "details", "$") or "",
        severity_scores=scores,
        affected=affected,
        references=tuple(references),
        database_specific=database_specific,
        severity=severity,
        warnings=tuple(dict.fromkeys(warnings)),
        source=source,
    )


__all__ = [
    "EVALUATED_RANGE_TYPES",
    "EVENT_KINDS",
    "Advisory",
    "Affected",
    "AffectedMatcher",
    "Event",
    "OSVFormatError",
    "Package",
    "Range",
    "Reference",
    "SeverityScore",
    "Verdict",
    "is_affected",
    "parse_osv",
]
