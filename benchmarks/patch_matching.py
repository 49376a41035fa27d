"""Patch-check matching speed: a fleet's inventories against an advisory feed, all in memory.

    .venv/bin/python benchmarks/patch_matching.py [--hosts 200] [--packages 2000]
        [--advisories 20000] [--seed 1] [--runs 3]

Generates (seeded, so runs compare):

- a catalogue of Debian source packages (each with one to three binaries), PyPI and
  npm packages, each with a handful of versions;
- ``--advisories`` advisories as ``policies.patching`` reads them: Debian ones for
  ``Debian:12`` and ``Debian:11`` with dpkg versions (``~deb12u1``, ``+deb12u2``),
  PyPI ones with ECOSYSTEM ranges (some with ``versions`` lists, some with two
  branches), npm ones with SEMVER ranges (some ``last_affected``); a fifth share a CVE
  with another advisory (GHSA/PYSEC pairs), a few are withdrawn; popular packages get
  more advisories;
- ``--hosts`` hosts of ``--packages`` installed rows each (40% Debian, 35% PyPI, 25%
  npm; Debian 12 or 11), versions drawn mostly from each package's newest ones, so hosts
  share most rows, as a real fleet does.

Then times, best of ``--runs``, each run on a fresh (cold) index: building the
``AdvisoryIndex``; matching every row of the fleet in one call; and matching plus
``merge_matches`` host by host (what a per-asset job does), the latter two net of the
index build. Prints a Markdown section.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.patching.advisories import Advisory, Affected, Event, Package, Range
from policies.patching.inventories import InstalledPackage
from policies.patching.matching import AdvisoryIndex, merge_matches
from policies.patching.severity import Severity, SeverityInfo

MODIFIED = datetime(2024, 6, 1, tzinfo=UTC)
LEVELS = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.UNKNOWN]


def _semverish(rng: random.Random, count: int) -> list[str]:
    major = rng.randint(0, 9)
    versions, minor, patch = [], rng.randint(0, 20), 0
    for _ in range(count):
        if rng.random() < 0.3:
            minor, patch = minor + 1, 0
        else:
            patch += rng.randint(1, 3)
        versions.append(f"{major}.{minor}.{patch}")
    return versions


def _debian_versions(rng: random.Random, suffix: str, count: int) -> list[str]:
    epoch = "1:" if rng.random() < 0.1 else ""
    base = f"{epoch}{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}-{rng.randint(1, 5)}"
    versions = [base]
    for update in range(1, count):
        versions.append(
            f"{base}{rng.choice(['+', '~'])}{suffix}u{update}" if rng.random() < 0.8 else f"{base}.{update}"
        )
    return versions


def build_catalogue(rng: random.Random) -> dict[str, Any]:
    debian: dict[str, dict[str, Any]] = {}
    for index in range(3000):
        source = f"src{index}"
        binaries = [source] + [f"lib{source}-{n}" for n in range(rng.randint(0, 2))]
        debian[source] = {
            "binaries": binaries,
            "Debian:12": _debian_versions(rng, "deb12", 6),
            "Debian:11": _debian_versions(rng, "deb11", 6),
        }
    pypi = {f"py-package-{index}": _semverish(rng, 8) for index in range(5000)}
    npm = {
        (f"@scope{index % 50}/pkg{index}" if index % 7 == 0 else f"npm-pkg-{index}"): _semverish(rng, 8)
        for index in range(7000)
    }
    return {"debian": debian, "pypi": pypi, "npm": npm}


def _popular(rng: random.Random, names: list[str]) -> str:
    # A skewed pick: low indexes (popular packages) come up far more often.
    return names[
        min(int(rng.paretovariate(1.2)) - 1, len(names) - 1) if rng.random() < 0.5 else rng.randrange(len(names))
    ]


def _range(kind: str, introduced: str, fixed: str | None, last_affected: bool = False) -> Range:
    events = [Event("introduced", introduced)]
    if fixed is not None:
        events.append(Event("last_affected" if last_affected else "fixed", fixed))
    return Range(kind, tuple(events))


def build_advisories(rng: random.Random, catalogue: dict[str, Any], count: int) -> list[Advisory]:
    debian_names = list(catalogue["debian"])
    pypi_names = list(catalogue["pypi"])
    npm_names = list(catalogue["npm"])
    advisories = []
    for number in range(count):
        cve = f"CVE-20{rng.randint(15, 24)}-{number + 10000}"
        severity = SeverityInfo(rng.choice(LEVELS), "benchmark")
        withdrawn = MODIFIED if rng.random() < 0.01 else None
        roll = rng.random()
        if roll < 0.4:
            source = _popular(rng, debian_names)
            affected = []
            for ecosystem in ("Debian:12", "Debian:11"):
                versions = catalogue["debian"][source][ecosystem]
                fixed = rng.choice(versions[1:]) if rng.random() < 0.85 else None
                affected.append(Affected(Package(ecosystem, source), (_range("ECOSYSTEM", "0", fixed),)))
            advisories.append(Advisory(cve, MODIFIED, withdrawn=withdrawn, affected=tuple(affected), severity=severity))
            continue
        ecosystem, names = ("PyPI", pypi_names) if roll < 0.75 else ("npm", npm_names)
        name = _popular(rng, names)
        versions = catalogue["pypi" if ecosystem == "PyPI" else "npm"][name]
        start = rng.randrange(len(versions) - 1)
        fix = rng.randrange(start + 1, len(versions))
        kind = "ECOSYSTEM" if ecosystem == "PyPI" else "SEMVER"
        ranges = [_range(kind, "0" if start == 0 else versions[start], versions[fix], rng.random() < 0.1)]
        if rng.random() < 0.2 and fix + 1 < len(versions):
            ranges.append(_range(kind, versions[fix], versions[-1]))  # a second branch
        listed = tuple(versions[start:fix]) if ecosystem == "PyPI" and rng.random() < 0.5 else ()
        entry = Affected(Package(ecosystem, name), tuple(ranges), listed)
        prefix = "GHSA" if ecosystem == "npm" or rng.random() < 0.5 else "PYSEC"
        advisory_id = f"{prefix}-{number:04x}-{rng.randrange(16**4):04x}-bench"
        advisories.append(
            Advisory(advisory_id, MODIFIED, withdrawn=withdrawn, aliases=(cve,), affected=(entry,), severity=severity)
        )
        if rng.random() < 0.2:  # the same CVE from a second database
            twin = f"PYSEC-{number}-twin" if ecosystem == "PyPI" else f"OSV-{number}-twin"
            advisories.append(
                Advisory(twin, MODIFIED, aliases=(cve, advisory_id), affected=(entry,), severity=severity)
            )
    return advisories[:count]


def _recent(rng: random.Random, versions: list[str]) -> str:
    # Most hosts run one of the three newest versions; a few lag far behind.
    return versions[-1 - min(int(rng.expovariate(0.9)), len(versions) - 1)]


def build_fleet(
    rng: random.Random, catalogue: dict[str, Any], hosts: int, per_host: int
) -> list[list[InstalledPackage]]:
    debian_names = list(catalogue["debian"])
    pypi_names = list(catalogue["pypi"])
    npm_names = list(catalogue["npm"])
    fleet = []
    for _ in range(hosts):
        release = "Debian:12" if rng.random() < 0.7 else "Debian:11"
        rows: list[InstalledPackage] = []
        for source in rng.sample(debian_names, per_host * 40 // 100 // 2):
            version = _recent(rng, catalogue["debian"][source][release])
            for binary in catalogue["debian"][source]["binaries"][:2]:
                rows.append(InstalledPackage(release, binary, version, source, version))
        for name in rng.sample(pypi_names, per_host * 35 // 100):
            rows.append(InstalledPackage("PyPI", name, _recent(rng, catalogue["pypi"][name])))
        for name in rng.sample(npm_names, per_host - len(rows)):
            rows.append(InstalledPackage("npm", name, _recent(rng, catalogue["npm"][name])))
        fleet.append(rows[:per_host])
    return fleet


def best_of(runs: int, action: Callable[[], Any]) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        value = action()
        best = min(best, time.perf_counter() - started)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--advisories", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    started = time.perf_counter()
    catalogue = build_catalogue(rng)
    advisories = build_advisories(rng, catalogue, args.advisories)
    fleet = build_fleet(rng, catalogue, args.hosts, args.packages)
    rows = [row for host in fleet for row in host]
    generated = time.perf_counter() - started

    # Each run starts from a fresh index: the index keeps its answers, and a warm one
    # would time dictionary hits only.
    index_time, index = best_of(args.runs, lambda: AdvisoryIndex(advisories))
    match_time, result = best_of(args.runs, lambda: AdvisoryIndex(advisories).match(rows))
    match_time -= index_time

    def per_host() -> int:
        fresh = AdvisoryIndex(advisories)
        groups = fresh.vulnerabilities()
        return sum(len(merge_matches(fresh.match(host).matches, groups)) for host in fleet)

    host_time, findings = best_of(args.runs, per_host)
    host_time -= index_time
    distinct = len({(r.ecosystem, r.match_name, r.match_version) for r in rows})

    print(f"## Patch matching · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print(
        f"- Command: `python benchmarks/patch_matching.py --hosts {args.hosts} --packages {args.packages} "
        f"--advisories {args.advisories} --seed {args.seed} --runs {args.runs}`"
    )
    print(f"- Machine: {platform.machine()} · Python {platform.python_version()} · best of {args.runs} runs")
    print(
        f"- Data: {len(rows):,} installed rows on {len(fleet)} hosts ({distinct:,} distinct package versions), "
        f"{len(advisories):,} advisories ({index.withdrawn} withdrawn); generated in {generated:.1f} s\n"
    )
    print("| step | seconds | result |")
    print("| --- | ---: | --- |")
    print(f"| build the index | {index_time:.2f} | {len(index):,} advisories, {len(index.problems)} range problems |")
    print(
        f"| match the whole fleet in one call | {match_time:.2f} | {len(result.matches):,} matches, "
        f"{len(result.unmatched)} rows unmatched |"
    )
    print(f"| match + alias-merge host by host ({len(fleet)} calls) | {host_time:.2f} | {findings:,} findings |")


if __name__ == "__main__":
    main()
