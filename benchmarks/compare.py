"""This tree against an earlier revision, request by request (``make bench-compare``).

These machines are noisy: the same page measured an hour apart differs by up to 2x, so two
``make bench`` runs one after the other compare badly. This runs both trees' servers at once,
each on its own copy of data seeded the same way, and asks both for each target of
``targets.py`` in turn, so that both meet the same noise:

1. The earlier revision (``--base``) is checked out in a git worktree (``--base-dir``) with
   its own virtualenv installed from its own lock file, unless ``--base-python`` names one.
2. Each tree seeds its data with its own ``benchmarks/run.py --reuse`` (kept in its
   ``benchmarks/out/``; PostgreSQL databases ``rampart_bench`` and ``rampart_bench_base``).
   Seeding happens once; later runs reuse the data. Both PostgreSQL databases are vacuumed
   and analysed before measuring.
3. Both servers start (gunicorn, ``--workers`` sync workers each, ``RAMPART_DEBUG=0``); each
   tree signs in as its seeded Administrator with its own ``prepare.py``.
4. For each target: ``--warmup`` requests to each server, then ``--requests`` pairs, the
   order switching at every pair (A B, B A, ...). A target the earlier tree does not have
   (404) is skipped with a note.
5. A markdown report (p50 and p95 of each tree, the ratio of p50s) is printed and appended
   to ``benchmarks/RESULTS.md`` (unless ``--no-append``).

Everything stays on 127.0.0.1; both servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run
from targets import Target

DEFAULT_BASE = "4fc24c1"  # the tree of RESULTS.md's 2026-12-01 figures
BASE_POSTGRES = "postgres://postgres@127.0.0.1:5432/rampart_bench_base"
BASE_DIR = Path(tempfile.gettempdir()) / "rampart-bench-base"


@dataclass
class Tree:
    label: str
    root: Path
    python: str
    postgres_url: str

    @property
    def gunicorn(self) -> str:
        return str(Path(self.python).parent / "gunicorn")

    def revision(self) -> str:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=self.root, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() or "unknown"

    def env(self, kind: str) -> dict[str, str]:
        var_dir = self.root / "benchmarks" / "out" / kind
        env = run.base_env(var_dir)
        if not (self.root / "config" / "settings.py").exists():  # trees before 2026-12-07
            env["DJANGO_SETTINGS_MODULE"] = "workbench.settings"
        if kind == "sqlite":
            env["RAMPART_SQLITE_PATH"] = str(var_dir / "bench.sqlite3")
        else:
            env["DATABASE_URL"] = self.postgres_url
        return env


@dataclass
class Pair:
    target: Target
    base: run.Figures
    this: run.Figures
    note: str = ""


def base_tree(args: argparse.Namespace) -> Tree:
    """The earlier revision in its worktree, with a virtualenv (made once)."""
    base_dir = Path(args.base_dir)
    if not (base_dir / "manage.py").exists():
        run.log(f"checking out {args.base} in {base_dir}")
        subprocess.run(["git", "worktree", "add", "-f", str(base_dir), args.base], cwd=run.ROOT, check=True)
    python = args.base_python
    if not python:
        venv = base_dir / ".venv"
        python = str(venv / "bin" / "python")
        if not Path(python).exists():
            run.log(f"making a virtualenv for {args.base} in {venv}")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            lock = base_dir / "requirements-dev.lock"
            subprocess.run([python, "-m", "pip", "install", "-q", "--require-hashes", "-r", str(lock)], check=True)
    return Tree(f"{args.base}", base_dir, python, BASE_POSTGRES)


def seed(tree: Tree, kind: str, args: argparse.Namespace) -> None:
    """The tree's own ``run.py --reuse`` seeds its data (or finds it seeded) and applies new migrations."""
    run.log(f"{tree.label}, {kind}: data (seeded once, then reused)")
    cmd = [tree.python, "benchmarks/run.py", "--reuse", "--no-append", "--databases", kind, "--factor"]
    cmd += [str(args.factor), "--targets", "home", "--requests", "1", "--warmup", "0"]
    cmd += ["--postgres-url", tree.postgres_url]
    run.run_checked(cmd, {k: v for k, v in os.environ.items() if not k.startswith("RAMPART_")}, 3600, tree.root)


def vacuum(url: str) -> None:
    """``VACUUM ANALYZE`` a local PostgreSQL database, so both trees meet the same planner state
    (today's ``prepare.py`` does it; earlier ones only analysed)."""
    import psycopg

    if run.urlsplit(url).hostname not in run.LOCAL_HOSTS:
        raise SystemExit(f"Benchmarks only run against a local database, not {url}.")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


class Server:
    """One tree's server and sign-ins."""

    def __init__(self, tree: Tree, base_url: str, prepared: dict[str, object]) -> None:
        self.tree = tree
        self.base_url = base_url
        self.prepared = prepared
        self.sessions = {"token": requests.Session(), "session": requests.Session()}
        self.sessions["token"].headers["Authorization"] = f"Bearer {prepared['token']}"
        cookie = f"{prepared['cookie_name']}={prepared['session_key']}"
        self.sessions["session"].headers["Cookie"] = cookie

    def url(self, target: Target) -> str:
        variables = self.prepared["vars"]
        assert isinstance(variables, dict)
        return self.base_url + run.fill(target.path, variables)

    def get(self, target: Target, timeout: float) -> tuple[float, int]:
        """Seconds taken and status code (0 when it took longer than ``timeout``)."""
        started = time.perf_counter()
        try:
            status = self.sessions[target.auth].get(self.url(target), allow_redirects=False, timeout=timeout)
        except requests.Timeout:
            return time.perf_counter() - started, 0
        return time.perf_counter() - started, status.status_code


def compare_target(servers: tuple[Server, Server], target: Target, args: argparse.Namespace) -> Pair:
    base, this = servers
    pair = Pair(target, run.Figures(target, base.url(target)), run.Figures(target, this.url(target)))
    statuses = (base.get(target, args.timeout)[1], this.get(target, args.timeout)[1])
    if statuses[0] == 404:
        pair.note = f"skipped: not in {base.tree.label} (404)"
        return pair
    if statuses != (200, 200):
        pair.note = f"skipped: HTTP {statuses[0]} / {statuses[1]} on the probe requests"
        return pair
    for _ in range(args.warmup):
        base.get(target, args.timeout)
        this.get(target, args.timeout)
    deadline = time.monotonic() + args.max_seconds
    for i in range(args.requests):
        order = ((base, pair.base), (this, pair.this))
        for server, figures in order if i % 2 == 0 else reversed(order):
            elapsed, status = server.get(target, args.timeout)
            figures.samples.append(elapsed)
            figures.errors += status != 200
        if time.monotonic() > deadline:
            pair.note = f"stopped after {args.max_seconds:.0f} s"
            break
    errors = pair.base.errors + pair.this.errors
    if errors:
        pair.note = (pair.note + "; " if pair.note else "") + f"{errors} non-200 responses"
    return pair


def compare_database(trees: tuple[Tree, Tree], kind: str, args: argparse.Namespace) -> list[Pair]:
    for tree in trees:
        seed(tree, kind, args)
        if kind == "postgres":
            vacuum(tree.postgres_url)
    with contextlib.ExitStack() as stack:
        servers = []
        for tree in trees:
            env = tree.env(kind)
            prepare = [tree.python, str(tree.root / "benchmarks" / "prepare.py")]
            prepared = json.loads(run.run_checked(prepare, env, 300, tree.root))
            log_file = tree.root / "benchmarks" / "out" / kind / "gunicorn.log"
            server = run.gunicorn(env, args.workers, log_file, tree.root, tree.gunicorn)
            servers.append(Server(tree, stack.enter_context(server), prepared))
        pairs = []
        for target in args.selected:
            pair = compare_target((servers[0], servers[1]), target, args)
            if pair.note.startswith("skipped"):
                run.log(f"{kind}: {target.name}: {pair.note}")
            else:
                base_p50, this_p50 = pair.base.percentile(50), pair.this.percentile(50)
                run.log(f"{kind}: {target.name}: {base_p50:.1f} ms / {this_p50:.1f} ms")
            pairs.append(pair)
        return pairs


def render(results: dict[str, list[Pair]], trees: tuple[Tree, Tree], args: argparse.Namespace, command: str) -> str:
    base, this = trees
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    names = {"sqlite": "SQLite (WAL)", "postgres": "PostgreSQL"}
    lines = [
        f"## {now} · side by side: {base.revision()} against {this.revision()}, factor {args.factor}",
        "",
        f"- Command: `{command}`",
        f"- Machine: {run.machine()}",
        f"- Both servers up at once (gunicorn, {args.workers} sync workers each, `RAMPART_DEBUG=0`), each on its own "
        f"copy of the data; {args.warmup} warm-up requests to each, then {args.requests} pairs, the order switching "
        "at every pair. Times in ms; ratio = this tree's p50 / the earlier tree's p50.",
        "",
    ]
    for kind, pairs in results.items():
        measured = [p for p in pairs if p.base.samples and p.this.samples]
        slower = sum(p.this.percentile(50) > p.base.percentile(50) for p in measured)
        lines += [
            f"### {names[kind]}",
            "",
            f"{slower} of {len(measured)} targets slower in {this.revision()}.",
            "",
            f"| target | p50 {base.revision()} | p50 {this.revision()} | ratio | p95 {base.revision()} "
            f"| p95 {this.revision()} | note |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for p in pairs:
            if p.base.samples and p.this.samples:
                b50, t50 = p.base.percentile(50), p.this.percentile(50)
                cells = [f"{b50:.1f}", f"{t50:.1f}", f"{t50 / b50:.2f}x"]
                cells += [f"{p.base.percentile(95):.1f}", f"{p.this.percentile(95):.1f}"]
            else:
                cells = ["-"] * 5
            lines.append(f"| {p.target.name} | {' | '.join(cells)} | {p.note} |")
        lines.append("")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default=DEFAULT_BASE, help="the earlier revision (default: 2026-12-01's tree)")
    parser.add_argument("--base-dir", default=str(BASE_DIR), help="its git worktree")
    parser.add_argument("--base-python", default="", help="a Python with its dependencies (default: make one)")
    run.add_arguments(parser, warmup=20, max_seconds=90)
    return run.checked(parser, parser.parse_args(argv))


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    command = " ".join(["python benchmarks/compare.py", *argv])
    this = Tree("this tree", run.ROOT, sys.executable, args.postgres_url)
    trees = (base_tree(args), this)
    results = {kind: compare_database(trees, kind, args) for kind in args.databases}
    report = render(results, trees, args, command)
    print(report)
    if not args.no_append:
        with run.RESULTS.open("a") as out:
            out.write("\n" + report)
        run.log(f"appended to {run.RESULTS.relative_to(run.ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
