"""Match installed packages against advisories, fast.

``AdvisoryIndex`` compiles every affected entry once (``osv.AffectedMatcher``) and files
it under (ecosystem, normalised name), so each installed row costs a dictionary look-up
plus the few advisories that name its package. Rows repeat across hosts (the same
``openssl`` source version on two hundred servers), so each distinct (ecosystem, name,
version) is evaluated once per index (the answers are kept across ``match`` calls, up to
a million of them) and reused.

Rules:

- Debian rows match by *source* package and source version (``InstalledPackage.
  match_name``/``match_version``) within their release (``Debian:12``); an advisory
  for plain ``Debian`` (no release) applies to every release.
- Withdrawn advisories never match (they are not even indexed).
- The same advisory id given twice (two feeds): the most recently modified one is kept.
- A row whose version its ecosystem cannot order (``VersionError``) is *not matched*
  and is listed in ``MatchResult.unmatched`` with the reason, when some advisory names
  its package (otherwise there was nothing to check it against).
- An advisory range that cannot be evaluated is listed in ``AdvisoryIndex.problems``.

``merge_matches`` then turns matches into ``Finding`` rows: one per (package,
vulnerability) where advisories sharing an alias are one vulnerability
(``aliases.group_by_alias``). Call it per inventory (per asset): rows are grouped by
equality, so identical rows of two hosts would otherwise be one finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from policies.patching.advisories import Advisory, affected_severity
from policies.patching.aliases import Vulnerability, group_by_alias
from policies.patching.ecosystems import base_ecosystem, normalize_ecosystem, normalize_name
from policies.patching.inventories import InstalledPackage
from policies.patching.osv import AffectedMatcher
from policies.patching.severity import SeverityInfo, worst
from policies.patching.versions import VersionError, ordering_for

_EPOCH = datetime.min.replace(tzinfo=UTC)
_CACHE_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class Match:
    package: InstalledPackage
    advisory: Advisory
    fixed_version: str | None  # the first fixed version above the installed one, when known
    severity: SeverityInfo  # the affected entry's own level, else the advisory's


@dataclass(slots=True)
class MatchResult:
    matches: list[Match] = field(default_factory=list)
    unmatched: list[tuple[InstalledPackage, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Hit:
    advisory: Advisory
    fixed_version: str | None
    severity: SeverityInfo


def _highest(ecosystem: str, versions: list[str]) -> str:
    ordering = ordering_for(ecosystem)
    if ordering is None or len(versions) == 1:
        return versions[0]
    try:
        return max(versions, key=ordering.key)
    except VersionError:
        return versions[0]


def _index_key(ecosystem: str, name: str) -> tuple[str, str]:
    normalized = normalize_ecosystem(ecosystem)
    return normalized, normalize_name(normalized, name)


class AdvisoryIndex:
    """Advisories filed by (ecosystem, normalised package name), ready to match."""

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        latest: dict[str, Advisory] = {}
        self.withdrawn = 0
        for advisory in advisories:
            if advisory.is_withdrawn:
                self.withdrawn += 1
                continue
            known = latest.get(advisory.id)
            if known is None or (advisory.modified or _EPOCH) >= (known.modified or _EPOCH):
                latest[advisory.id] = advisory
        self.advisories: tuple[Advisory, ...] = tuple(latest.values())
        self.problems: list[str] = []
        self._entries: dict[tuple[str, str], list[tuple[Advisory, AffectedMatcher]]] = {}
        for advisory in self.advisories:
            for affected in advisory.affected:
                matcher = AffectedMatcher(affected)
                self.problems.extend(f"{advisory.id}: {problem}" for problem in matcher.problems)
                key = _index_key(affected.package.ecosystem, affected.package.name)
                self._entries.setdefault(key, []).append((advisory, matcher))
        self._vulnerabilities: dict[str, Vulnerability] | None = None
        # Answers per distinct (ecosystem, name, version), kept across ``match`` calls:
        # the index never changes, and per-host calls repeat the same rows.
        self._seen: dict[tuple[str, str, str], tuple[tuple[_Hit, ...], str | None]] = {}

    def __len__(self) -> int:
        return len(self.advisories)

    def candidates(self, ecosystem: str, name: str) -> list[tuple[Advisory, AffectedMatcher]]:
        """The compiled entries naming this package (a Debian release also gets release-less ones)."""
        key = _index_key(ecosystem, name)
        found = self._entries.get(key, [])
        if ":" in key[0] and base_ecosystem(key[0]) == "Debian":
            found = found + self._entries.get(("Debian", key[1]), [])
        return found

    def _evaluate(self, ecosystem: str, name: str, version: str) -> tuple[tuple[_Hit, ...], str | None]:
        candidates = self.candidates(ecosystem, name)
        if not candidates:
            return (), None
        per_advisory: dict[str, list[tuple[Advisory, str | None, SeverityInfo]]] = {}
        try:
            for advisory, matcher in candidates:
                verdict = matcher.check(version)
                if verdict.affected:
                    severity = affected_severity(advisory, matcher.affected)
                    per_advisory.setdefault(advisory.id, []).append((advisory, verdict.fixed_version, severity))
        except VersionError as error:
            return (), f"not matched against {len(candidates)} advisory entries: {error}"
        hits = []
        for found in per_advisory.values():
            fixes = [fix for _, fix, _ in found]
            # Several entries of one advisory matched (overlapping ranges): a missing fix wins.
            fixed = None if None in fixes else _highest(ecosystem, [fix for fix in fixes if fix is not None])
            hits.append(_Hit(found[0][0], fixed, worst(severity for _, _, severity in found)))
        return tuple(hits), None

    def match(self, packages: Iterable[InstalledPackage]) -> MatchResult:
        """Every (package, advisory) pair where the package's version is affected."""
        result = MatchResult()
        seen = self._seen
        for package in packages:
            key = (package.ecosystem, package.match_name, package.match_version)
            outcome = seen.get(key)
            if outcome is None:
                if len(seen) >= _CACHE_LIMIT:
                    seen.clear()
                outcome = seen[key] = self._evaluate(*key)
            hits, problem = outcome
            for hit in hits:
                result.matches.append(Match(package, hit.advisory, hit.fixed_version, hit.severity))
            if problem is not None:
                result.unmatched.append((package, problem))
        return result

    def vulnerabilities(self) -> dict[str, Vulnerability]:
        """Advisory id -> its alias group, over every indexed advisory (computed once)."""
        if self._vulnerabilities is None:
            self._vulnerabilities = {
                advisory.id: group for group in group_by_alias(self.advisories) for advisory in group.advisories
            }
        return self._vulnerabilities


def match_packages(advisories: Iterable[Advisory], packages: Iterable[InstalledPackage]) -> MatchResult:
    """Index ``advisories`` and match ``packages`` (build an ``AdvisoryIndex`` to reuse it)."""
    return AdvisoryIndex(advisories).match(packages)


@dataclass(frozen=True, slots=True)
class Finding:
    """One vulnerability of one installed package, however many advisories describe it."""

    package: InstalledPackage
    vulnerability_id: str  # canonical: see aliases.canonical_id
    aliases: tuple[str, ...]  # every id of the group
    advisories: tuple[Advisory, ...]  # the matching ones
    fixed_version: str | None  # the highest fix any matching advisory names
    severity: SeverityInfo  # the worst of the matching advisories'


def merge_matches(
    matches: Iterable[Match], vulnerabilities: Mapping[str, Vulnerability] | None = None
) -> list[Finding]:
    """Group matches into findings, one per (package, alias group), in order of first match.

    ``vulnerabilities`` (advisory id -> group, e.g. ``AdvisoryIndex.vulnerabilities()``)
    lets a link through an advisory that did not match count; without it the groups are
    worked out from the matched advisories alone.
    """
    matches = list(matches)
    if vulnerabilities is None:
        advisories = {match.advisory.id: match.advisory for match in matches}
        vulnerabilities = {
            advisory.id: group for group in group_by_alias(advisories.values()) for advisory in group.advisories
        }
    grouped: dict[tuple[InstalledPackage, str], list[Match]] = {}
    for match in matches:
        group = vulnerabilities.get(match.advisory.id)
        group_id = group.id if group is not None else match.advisory.id
        grouped.setdefault((match.package, group_id), []).append(match)
    findings = []
    for (package, group_id), found in grouped.items():
        group = vulnerabilities.get(found[0].advisory.id)
        fixes = [match.fixed_version for match in found if match.fixed_version is not None]
        findings.append(
            Finding(
                package=package,
                vulnerability_id=group_id,
                aliases=group.ids if group is not None else (group_id,),
                advisories=tuple(match.advisory for match in found),
                fixed_version=_highest(package.ecosystem, fixes) if fixes else None,
                severity=worst(match.severity for match in found),
            )
        )
    return findings
