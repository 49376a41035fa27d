"""The matching step of a patch check: one (ecosystem, package, version) against the advisories.

``Matcher`` holds the advisories' alias groups and works out the findings of each distinct
installed (ecosystem, package, version) once per check (hosts share most of their packages), as
``Found`` rows: the vulnerability, its advisories and aliases, severity, the version that fixes
it. ``policies.services.patch_check`` turns them into stored findings per asset.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from policies.models import Advisory
from policies.models.patching import SEVERITY_RANK
from policies.patching.inventories import InstalledPackage as EnginePackage
from policies.patching.matching import AdvisoryIndex
from policies.patching.severity import Severity, SeverityInfo, worst
from policies.patching.versions import VersionError, ordering_for
from policies.services.advisory_records import ENGINE_COLUMNS, engine_advisory

MAX_PROBLEMS = 50


def _highest(ecosystem: str, versions: Iterable[str]) -> str:
    found = sorted(set(versions))
    if len(found) <= 1:
        return found[0] if found else ""
    ordering = ordering_for(ecosystem)
    if ordering is None:
        return found[-1]
    try:
        return max(found, key=ordering.key)
    except VersionError:
        return found[-1]


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, slots=True)
class Found:
    """A finding as the check works it out for one asset, before it meets the stored one.

    ``state`` digests everything the check sets (severity, versions, advisories ...): a stored
    finding with the same state is left alone, which is what most findings are on most days.
    """

    vulnerability_id: str
    advisory_ids: tuple[str, ...]
    aliases: tuple[str, ...]
    summary: str
    severity: str
    cvss_score: float | None
    known_exploited: bool
    fixed_in: str
    installed_version: str
    state: str

    @classmethod
    def make(cls, **values: Any) -> Found:
        text = "\x1f".join(
            ",".join(value) if isinstance(value, tuple) else str(value) for _, value in sorted(values.items())
        )
        return cls(**values, state=hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest())

    def merged(self, ecosystem: str, other: Found) -> Found:
        """Two installed versions of one package with the same vulnerability (npm nests copies)."""
        mine = self if SEVERITY_RANK[self.severity] >= SEVERITY_RANK[other.severity] else other
        versions = sorted({*self.installed_version.split(", "), *other.installed_version.split(", ")})
        fixes = [f for f in (self.fixed_in, other.fixed_in) if f]
        return Found.make(
            vulnerability_id=self.vulnerability_id,
            advisory_ids=tuple(sorted({*self.advisory_ids, *other.advisory_ids})),
            aliases=tuple(sorted({*self.aliases, *other.aliases})),
            summary=self.summary,
            severity=mine.severity,
            cvss_score=mine.cvss_score,
            known_exploited=self.known_exploited or other.known_exploited,
            fixed_in=_highest(ecosystem, fixes),
            installed_version=cut(", ".join(versions), 500),
        )

    def fields(self) -> dict[str, Any]:
        return {
            "vulnerability_id": self.vulnerability_id,
            "advisory_ids": list(self.advisory_ids),
            "aliases": list(self.aliases),
            "summary": self.summary,
            "state": self.state,
            "severity": self.severity,
            "cvss_score": self.cvss_score,
            "known_exploited": self.known_exploited,
            "installed_version": self.installed_version,
            "fixed_in": self.fixed_in,
        }


@dataclass(slots=True)
class _Group:
    ids: set[str] = field(default_factory=set)
    severity: SeverityInfo = field(default_factory=lambda: SeverityInfo(Severity.UNKNOWN))
    known_exploited: bool = False
    summary: str = ""


class Matcher:
    """The advisory index, with each distinct row's findings worked out once per check."""

    def __init__(self, advisories: QuerySet[Advisory]) -> None:
        loaded = []
        self.vulnerability_of: dict[str, str] = {}
        self.groups: dict[str, _Group] = {}
        columns = (*ENGINE_COLUMNS, "vulnerability_id", "known_exploited", "summary")
        for row in advisories.filter(withdrawn__isnull=True).values_list(*columns).iterator(chunk_size=2000):
            advisory = engine_advisory(*row[: len(ENGINE_COLUMNS)])
            vulnerability, exploited, summary = row[len(ENGINE_COLUMNS) :]
            loaded.append(advisory)
            self.vulnerability_of[advisory.id] = vulnerability
            group = self.groups.setdefault(vulnerability, _Group())
            group.ids.add(advisory.id)
            group.ids.update(advisory.aliases)
            if advisory.severity.level != Severity.UNKNOWN:
                group.severity = worst([group.severity, advisory.severity])
            group.known_exploited |= exploited
            if summary and (not group.summary or advisory.id == vulnerability):
                group.summary = cut(summary, 500)
        self.index = AdvisoryIndex(loaded)
        self.problems: list[str] = list(self.index.problems[:MAX_PROBLEMS])
        self.unmatched = 0
        self.cache: dict[tuple[str, str, str], tuple[Found, ...]] = {}

    def __len__(self) -> int:
        return len(self.index)

    def work_out(self, key: tuple[str, str, str]) -> tuple[Found, ...]:
        """The findings of one installed (ecosystem, normalised name, version), kept in ``cache``."""
        found = self.cache[key] = self._work_out(*key)
        return found

    def _work_out(self, ecosystem: str, name: str, version: str) -> tuple[Found, ...]:
        result = self.index.match([EnginePackage(ecosystem, name, version)])
        for package, problem in result.unmatched:
            self.unmatched += 1
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(f"{package.ecosystem}/{package.name} {package.version}: {problem}")
        per_vulnerability: dict[str, list[Any]] = {}
        for match in result.matches:
            vulnerability = self.vulnerability_of.get(match.advisory.id, match.advisory.id)
            per_vulnerability.setdefault(vulnerability, []).append(match)
        found = []
        for vulnerability, matches in per_vulnerability.items():
            group = self.groups.get(vulnerability) or _Group(ids={vulnerability})
            severity = worst(match.severity for match in matches)
            if severity.level == Severity.UNKNOWN:  # none of its own: its aliases'
                severity = group.severity
            fixes = [match.fixed_version for match in matches if match.fixed_version]
            found.append(
                Found.make(
                    vulnerability_id=vulnerability,
                    advisory_ids=tuple(sorted({match.advisory.id for match in matches})),
                    aliases=tuple(sorted(group.ids)),
                    summary=group.summary,
                    severity=severity.level.value,
                    cvss_score=severity.score,
                    known_exploited=group.known_exploited,
                    fixed_in=cut(_highest(ecosystem, fixes), 255),
                    installed_version=cut(version, 500),
                )
            )
        return tuple(found)
