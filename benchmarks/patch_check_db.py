"""Patch checks in the database: a fleet's inventories against an advisory feed, full and per asset.

    .venv/bin/python benchmarks/patch_check_db.py [--database sqlite|postgres|both]
        [--hosts 200] [--packages 2000] [--advisories 20000] [--seed 1] [--append]

For each database, a dedicated one made afresh (SQLite: ``/tmp/rampart_bench_patch.sqlite3``;
PostgreSQL: ``$BENCH_PATCH_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/rampart_bench_patch``, dropped and created again):

1. ``seed``: migrate; import the advisories through ``import_advisories`` (the generator of
   ``patch_matching.py``, same seed: Debian, PyPI and npm advisories, aliases, withdrawn ones);
   one asset per host and its current inventory, its rows bulk-inserted as an import stores them;
2. ``full`` twice: ``check_assets`` over every asset. The first run creates every finding, the
   second is the steady state (nothing changed since: what the daily job does most days);
3. ``incremental``: one host sends a new inventory (a CycloneDX SBOM of its 2,000 packages, 40 of
   them upgraded), imported with ``import_inventory``, which checks that asset; then the same
   per-asset check alone.

Each step runs in its own process (a cold start: advisories loaded from the database), which
reports its wall time and peak RSS. Prints a Markdown section; ``--append`` adds it to
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SQLITE_PATH = Path(tempfile.gettempdir()) / "rampart_bench_patch.sqlite3"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/rampart_bench_patch"
BENCH_HOST = "bench-host-0007"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _fleet(args: argparse.Namespace) -> tuple[list[Any], list[list[Any]]]:
    from patch_matching import build_advisories, build_catalogue, build_fleet

    rng = random.Random(args.seed)
    catalogue = build_catalogue(rng)
    advisories = build_advisories(rng, catalogue, args.advisories)
    fleet = build_fleet(rng, catalogue, args.hosts, args.packages)
    return advisories, fleet


def phase_seed(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from django.core.management import call_command
    from django.db import transaction

    from governance.models import Asset
    from policies.models import InstalledPackage, Inventory
    from policies.patching.ecosystems import normalize_name
    from policies.services.advisories import import_advisories

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    advisories, fleet = _fleet(args)
    started = time.perf_counter()
    report = import_advisories(actor=None, advisories=((a, "osv") for a in advisories))
    imported = time.perf_counter() - started
    started = time.perf_counter()
    rows = 0
    with transaction.atomic():
        assets = Asset.objects.bulk_create([Asset(name=f"bench-host-{i:04d}") for i in range(len(fleet))])
        for asset, host in zip(assets, fleet, strict=True):
            inventory = Inventory.objects.create(
                asset=asset, scope="cyclonedx", format="cyclonedx", release="Debian:12", is_current=True
            )
            packages = [
                InstalledPackage(
                    inventory=inventory,
                    ecosystem=p.ecosystem,
                    name=p.name,
                    version=p.version,
                    source_name=p.source_name or "",
                    source_version=p.source_version or "",
                    match_name=normalize_name(p.ecosystem, p.match_name),
                )
                for p in host
            ]
            InstalledPackage.objects.bulk_create(packages, batch_size=2000)
            Inventory.objects.filter(pk=inventory.pk).update(package_count=len(packages))
            rows += len(packages)
    inserted = time.perf_counter() - started
    return {
        "migrate": migrated,
        "advisories": report.read,
        "advisory_import": imported,
        "rows": rows,
        "hosts": len(fleet),
        "insert": inserted,
        "rss": _rss_mb(),
    }


def phase_full(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from policies.services.patch_check import check_assets

    base = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    run = check_assets(asset_ids=None, actor=None, via="benchmark")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "load": os.getloadavg()[0],
        "rss": _rss_mb(),
        "base_rss": base,
        "assets": run.assets_checked,
        "packages": run.packages_checked,
        "advisories": run.advisories_indexed,
        "new": run.new_findings,
        "fixed": run.fixed_findings,
        "open": run.open_findings,
        "overdue": run.overdue_findings,
    }


def _sbom(host: list[Any], rng: random.Random, upgrades: int) -> tuple[bytes, int]:
    """The host's packages as a CycloneDX 1.5 SBOM, ``upgrades`` of them with a newer version."""
    from policies.patching.purl import make_purl

    components = []
    changed = 0
    picks = set(rng.sample(range(len(host)), upgrades))
    for index, package in enumerate(host):
        version = package.version
        if index in picks:
            version = f"{version}.1" if package.ecosystem in ("PyPI", "npm") else f"{version}+b1"
            changed += 1
        if package.ecosystem.startswith("Debian"):
            qualifiers = f"?distro=debian-{package.ecosystem.split(':')[1]}"
            source_version = version if package.source_version == package.version else package.source_version
            upstream = f"&upstream={package.source_name}@{source_version}" if package.source_name else ""
            purl = f"pkg:deb/debian/{package.name}@{version}{qualifiers}{upstream}"
        elif package.ecosystem == "PyPI":
            purl = make_purl("pypi", package.name, version)
        else:
            scope, slash, bare = package.name.rpartition("/")
            purl = make_purl("npm", bare, version, scope if slash else None)
        components.append({"type": "library", "name": package.name, "version": version, "purl": purl})
    document = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": components}
    return json.dumps(document).encode(), changed


def phase_incremental(args: argparse.Namespace) -> dict[str, Any]:
    _django()
    from governance.models import Asset
    from policies.services.inventories import import_inventory
    from policies.services.patch_check import check_assets

    _, fleet = _fleet(args)
    index = int(BENCH_HOST.rsplit("-", 1)[1])
    data, changed = _sbom(fleet[index], random.Random(args.seed + 1), 40)
    base = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    result = import_inventory(actor=None, asset_name=BENCH_HOST, data=data, format_name="cyclonedx", via="command")
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    asset = Asset.objects.get(name=BENCH_HOST)
    started, cpu = time.perf_counter(), time.process_time()
    again = check_assets(asset_ids=[asset.pk], actor=None, via="benchmark")
    checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    run = result.check
    assert run is not None
    return {
        "import_and_check": imported,
        "import_and_check_cpu": imported_cpu,
        "check": checked,
        "check_cpu": checked_cpu,
        "load": os.getloadavg()[0],
        "rss": _rss_mb(),
        "base_rss": base,
        "packages": result.inventory.package_count,
        "upgraded": changed,
        "advisories": again.advisories_indexed,
        "new": run.new_findings,
        "fixed": run.fixed_findings,
        "open": run.open_findings,
    }


PHASES = {"seed": phase_seed, "full": phase_full, "incremental": phase_incremental}


def _env(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["RAMPART_VAR_DIR"] = str(Path(tempfile.gettempdir()) / "rampart_bench_patch_var")
    if database == "sqlite":
        env["RAMPART_SQLITE_PATH"] = str(SQLITE_PATH)
    else:
        env["DATABASE_URL"] = os.environ.get("BENCH_PATCH_DATABASE_URL", DEFAULT_POSTGRES)
    return env


def _fresh(database: str, env: dict[str, str]) -> None:
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    url = env["DATABASE_URL"]
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _phase(name: str, database: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--hosts",
        str(args.hosts),
        "--packages",
        str(args.packages),
        "--advisories",
        str(args.advisories),
        "--seed",
        str(args.seed),
    ]
    output = subprocess.run(command, env=_env(database), check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _report(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · patch checks in the database",
        "",
        f"- Command: `python benchmarks/patch_check_db.py --database {args.database} --hosts {args.hosts} "
        f"--packages {args.packages} --advisories {args.advisories} --seed {args.seed}`",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        "each step a fresh process (advisories loaded from the database); CPU is this process's, "
        "load the 1-minute load average at the end of the step",
        "",
    ]
    for database, figures in results.items():
        seed, first, steady, incremental = (figures[k] for k in ("seed", "first", "steady", "incremental"))
        lines += [
            f"### {'SQLite (WAL, file under /tmp)' if database == 'sqlite' else 'PostgreSQL (rampart_bench_patch)'}",
            "",
            f"Seeded {seed['rows']:,} installed-package rows on {seed['hosts']} hosts and {seed['advisories']:,} "
            f"advisories (import {seed['advisory_import']:.1f} s, rows {seed['insert']:.1f} s).",
            "",
            "| step | wall s | CPU s | load | peak RSS (MB) | result |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            f"| full re-match, first run (creates the findings) | {first['seconds']:.2f} | {first['cpu']:.2f} | "
            f"{first['load']:.1f} | {first['rss']:.0f} | {first['packages']:,} rows x {first['advisories']:,} "
            f"advisories: {first['new']:,} new, {first['open']:,} open |",
            f"| full re-match, steady state | {steady['seconds']:.2f} | {steady['cpu']:.2f} | {steady['load']:.1f} | "
            f"{steady['rss']:.0f} | {steady['new']} new, {steady['fixed']} fixed, {steady['open']:,} open |",
            f"| one host's new inventory: import + check | {incremental['import_and_check']:.2f} | "
            f"{incremental['import_and_check_cpu']:.2f} | {incremental['load']:.1f} | {incremental['rss']:.0f} | "
            f"{incremental['packages']:,} packages ({incremental['upgraded']} upgraded): {incremental['new']} new, "
            f"{incremental['fixed']} fixed |",
            f"| the same asset's check alone | {incremental['check']:.2f} | {incremental['check_cpu']:.2f} | | | "
            f"{incremental['advisories']:,} advisories loaded |",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--advisories", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--append", action="store_true", help="Append the section to benchmarks/RESULTS.md.")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results: dict[str, dict[str, Any]] = {}
    for database in databases:
        _fresh(database, _env(database))
        figures = {"seed": _phase("seed", database, args)}
        print(f"{database}: seeded {figures['seed']}", file=sys.stderr)
        figures["first"] = _phase("full", database, args)
        print(f"{database}: first full run {figures['first']}", file=sys.stderr)
        figures["steady"] = _phase("full", database, args)
        print(f"{database}: steady full run {figures['steady']}", file=sys.stderr)
        figures["incremental"] = _phase("incremental", database, args)
        print(f"{database}: incremental {figures['incremental']}", file=sys.stderr)
        results[database] = figures
    section = _report(args, results)
    print(section)
    if args.append:
        with RESULTS.open("a", encoding="utf-8") as out:
            out.write("\n" + section + "\n")


if __name__ == "__main__":
    main()
