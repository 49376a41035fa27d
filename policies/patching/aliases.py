"""One vulnerability, many advisories: grouping by alias.

GitHub (``GHSA-...``), PyPA (``PYSEC-...``), Debian (``DSA-...``, or the tracker's
``CVE-...``) and others publish their own record for the same flaw and list each other
in ``aliases``. Aliases are an equivalence (OSV: symmetric and transitive), so the
groups are the connected components of "id -- alias" links, found with a union-find.

Only ``aliases`` link records: ``related`` and ``upstream`` name *different*
vulnerabilities and are not followed. Withdrawn advisories are left out entirely (their
aliases may be exactly what was wrong with them).

Canonical id of a group (``canonical_id``): a CVE if the group has one (the oldest:
lowest year, then lowest number, when a record lists several), else a GHSA id, else any
other id; ties broken by natural order (``PYSEC-2024-9`` before ``PYSEC-2024-10``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from policies.patching.advisories import Advisory

_CVE = re.compile(r"^CVE-(\d{4})-(\d+)$", re.IGNORECASE)
_CHUNKS = re.compile(r"(\d+)")


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """An alias group: ``id`` is canonical, ``ids`` every id and alias in the group."""

    id: str
    ids: tuple[str, ...]
    advisories: tuple[Advisory, ...]


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(chunk)) if chunk.isdigit() else (1, chunk) for chunk in _CHUNKS.split(text.upper()) if chunk)


def _preference(identifier: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    cve = _CVE.match(identifier)
    if cve:
        return (0, ((0, int(cve.group(1))), (0, int(cve.group(2)))))
    if identifier.upper().startswith("GHSA-"):
        return (1, _natural(identifier))
    return (2, _natural(identifier))


def canonical_id(ids: Iterable[str]) -> str:
    """The id a group is known by: CVE, else GHSA, else the first by natural order."""
    return min(ids, key=_preference)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            root = item
            while self.parent[root] != root:
                root = self.parent[root]
            while self.parent[item] != root:  # path compression
                self.parent[item], item = root, self.parent[item]
            return root
        return item

    def union(self, left: str, right: str) -> None:
        a, b = self.find(left), self.find(right)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _key(identifier: str) -> str:
    # CVE ids are case-insensitive in practice (``cve-2024-1``); other ids are kept as written.
    return identifier.strip().upper() if _CVE.match(identifier.strip()) else identifier.strip()


def group_by_alias(advisories: Iterable[Advisory]) -> list[Vulnerability]:
    """Vulnerabilities (alias groups), in order of their first advisory; withdrawn ones left out."""
    links = _UnionFind()
    kept: list[Advisory] = []
    for advisory in advisories:
        if advisory.is_withdrawn:
            continue
        kept.append(advisory)
        links.find(_key(advisory.id))
        for alias in advisory.aliases:
            if alias.strip():
                links.union(_key(advisory.id), _key(alias))
    members: dict[str, list[Advisory]] = {}
    ids: dict[str, set[str]] = {}
    for advisory in kept:
        root = links.find(_key(advisory.id))
        members.setdefault(root, []).append(advisory)
        group = ids.setdefault(root, set())
        group.add(_key(advisory.id))
        group.update(_key(alias) for alias in advisory.aliases if alias.strip())
    return [
        Vulnerability(canonical_id(ids[root]), tuple(sorted(ids[root], key=_natural)), tuple(group))
        for root, group in members.items()
    ]
