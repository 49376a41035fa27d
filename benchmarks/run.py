"""Reproducible response-time figures for Rampart (``make bench``).

For each database (a fresh SQLite file in a temporary folder, and PostgreSQL's
``rampart_bench`` database, dropped and created again) this:

1. migrates, runs ``seed_demo`` and ``seed_scale --factor N`` (timed);
2. collects static files and starts ``gunicorn config.wsgi -w 2`` on a free
   port of 127.0.0.1 with production settings (``RAMPART_DEBUG=0``);
3. signs in as the seeded Administrator (see ``prepare.py``: a session that has
   passed MFA for pages, an API token for the API);
4. for every target of ``targets.py``: one probe request (404 = the route does not
   exist yet, skipped with a note), then ``--warmup`` requests thrown away and
   ``--requests`` measured, one after another, each bounded by ``--timeout`` and
   the whole target by ``--max-seconds``;
5. prints a markdown report (date, machine, database, p50/p95/max) and appends it
   to ``benchmarks/RESULTS.md``.

Everything stays on 127.0.0.1; the server is stopped (by its process id) at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
RESULTS = BENCH_DIR / "RESULTS.md"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/rampart_bench"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

sys.path.insert(0, str(BENCH_DIR))
from targets import TARGETS, Target, select  # noqa: E402


@dataclass
class Figures:
    target: Target
    path: str
    samples: list[float] = field(default_factory=list)
    note: str = ""
    errors: int = 0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000


@dataclass
class DatabaseRun:
    label: str
    load: str
    seed_seconds: float
    counts: dict[str, int]
    figures: list[Figures]


_BEGAN = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _BEGAN:6.1f}s] {message}", file=sys.stderr, flush=True)


def base_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAMPART_") and k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "RAMPART_VAR_DIR": str(var_dir),
            "RAMPART_DEBUG": "0",
            "RAMPART_ALLOWED_HOSTS": "127.0.0.1",
            "RAMPART_SECURE_COOKIES": "0",
            "RAMPART_LOG_LEVEL": "WARNING",
        }
    )
    return env


def run_checked(cmd: list[str], env: dict[str, str], timeout: float, cwd: Path = ROOT) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def manage(env: dict[str, str], *args: str, timeout: float = 1800) -> str:
    return run_checked([PYTHON, "manage.py", *args], env, timeout)


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    if parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"Benchmarks only run against a local database, not {parts.hostname}.")
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Unexpected database name {name!r}.")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], workers: int, log_file: Path, root: Path = ROOT, binary: str = GUNICORN
) -> Iterator[str]:
    """``root``'s server (``binary``: that tree's gunicorn) on a free port of 127.0.0.1; yields its address."""
    port = free_port()
    wsgi = "config.wsgi" if (root / "config" / "wsgi.py").exists() else "workbench.wsgi"  # before 2026-12-07
    cmd = [binary, wsgi, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60"]
    with log_file.open("w") as log_handle:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log_handle, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited early; see its log:\n{log_file.read_text()}")
            try:
                if requests.get(f"{base_url}/accounts/login/", timeout=10).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s; see its log:\n{log_file.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fill(path: str, variables: dict[str, str]) -> str:
    return path.format(**{k: quote(v, safe="") for k, v in variables.items()})


def measure(base_url: str, target: Target, prepared: dict[str, object], args: argparse.Namespace) -> Figures:
    variables = prepared["vars"]
    assert isinstance(variables, dict)
    path = fill(target.path, variables)
    figures = Figures(target=target, path=path)
    client = requests.Session()
    if target.auth == "token":
        client.headers["Authorization"] = f"Bearer {prepared['token']}"
    else:
        client.headers["Cookie"] = f"{prepared['cookie_name']}={prepared['session_key']}"
    url = base_url + path

    def get() -> requests.Response | None:
        """The response, or None when it took longer than ``--timeout`` (counted as an error)."""
        try:
            return client.get(url, allow_redirects=False, timeout=args.timeout)
        except requests.Timeout:
            return None

    probe = get()
    if probe is None:
        figures.note = f"skipped: the probe request took over {args.timeout:.0f} s"
        return figures
    if probe.status_code == 404:
        bare = client.get(base_url + urlsplit(path).path, allow_redirects=False, timeout=args.timeout)
        if bare.status_code == 200:
            figures.note = "skipped: 404 for this page; too little data at this factor"
        else:
            figures.note = "skipped: route does not exist yet (404)"
        return figures
    if probe.status_code != 200:
        figures.note = f"skipped: HTTP {probe.status_code} on the probe request"
        return figures
    deadline = time.monotonic() + args.max_seconds
    for _ in range(args.warmup):
        get()
        if time.monotonic() > deadline:
            break
    for _ in range(args.requests):
        started = time.perf_counter()
        response = get()
        elapsed = time.perf_counter() - started
        if response is None or response.status_code != 200:
            figures.errors += 1
        figures.samples.append(elapsed)
        if time.monotonic() > deadline:
            figures.note = f"stopped after {args.max_seconds:.0f} s"
            break
    if figures.errors:
        figures.note = (figures.note + "; " if figures.note else "") + f"{figures.errors} non-200 responses"
    return figures


@contextlib.contextmanager
def data_dir(kind: str, args: argparse.Namespace) -> Iterator[Path]:
    """A temporary folder, or with ``--reuse`` a kept one under ``benchmarks/out/``."""
    if args.reuse:
        kept = BENCH_DIR / "out" / kind
        kept.mkdir(parents=True, exist_ok=True)
        yield kept
    else:
        with tempfile.TemporaryDirectory(prefix="rampart-bench-") as tmp:
            yield Path(tmp)


def bench_database(kind: str, args: argparse.Namespace) -> DatabaseRun:
    with data_dir(kind, args) as var_dir:
        env = base_env(var_dir)
        seeded_marker = var_dir / f"seeded-factor-{args.factor}"
        reuse = args.reuse and seeded_marker.exists()
        if kind == "sqlite":
            env["RAMPART_SQLITE_PATH"] = str(var_dir / "bench.sqlite3")
            label = "SQLite (WAL, file in a temporary folder)"
        else:
            if not reuse:
                recreate_postgres(args.postgres_url)
            env["DATABASE_URL"] = args.postgres_url
            label = f"PostgreSQL ({urlsplit(args.postgres_url).path.lstrip('/')}, recreated)"
        if reuse:
            label = label.replace("recreated", "kept from the last --reuse run").replace(
                "temporary folder", "kept folder"
            )
        log(f"{kind}: migrate")
        manage(env, "migrate", "--no-input", "-v", "0")
        seed_seconds = 0.0
        if reuse:
            log(f"{kind}: data of factor {args.factor} kept from an earlier --reuse run; not seeding")
        else:
            for stale in var_dir.glob("seeded-factor-*"):
                stale.unlink()
            log(f"{kind}: seed_demo + seed_scale --factor {args.factor}")
            started = time.monotonic()
            manage(env, "seed_demo", "--force")
            log(manage(env, "seed_scale", "--force", "--factor", str(args.factor)).rstrip())
            seed_seconds = time.monotonic() - started
            if args.reuse:
                seeded_marker.write_text(f"{seed_seconds:.1f}\n")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        prepared = json.loads(run_checked([PYTHON, str(BENCH_DIR / "prepare.py")], env, 300))
        figures = []
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        with gunicorn(env, args.workers, var_dir / "gunicorn.log") as base_url:
            log(f"{kind}: gunicorn on {base_url}")
            for target in args.selected:
                result = measure(base_url, target, prepared, args)
                log(f"{kind}: {target.name}: {result.note or f'p50 {result.percentile(50):.1f} ms'}")
                figures.append(result)
        counts = prepared["counts"]
        return DatabaseRun(label=label, load=load, seed_seconds=seed_seconds, counts=counts, figures=figures)


def machine() -> str:
    memory = "unknown memory"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB memory"
    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    return f"`{uname}` · {os.cpu_count()} cores · {memory} · Python {platform.python_version()}"


def git_revision() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def render(runs: list[DatabaseRun], args: argparse.Namespace, command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {now} · factor {args.factor}",
        "",
        f"- Command: `{command}` (git {git_revision()})",
        f"- Machine: {machine()}",
        f"- Server: gunicorn, {args.workers} sync workers, `RAMPART_DEBUG=0`, client on the same machine; "
        f"{args.warmup} warm-up requests discarded, then {args.requests} measured one after another.",
        "",
    ]
    for run in runs:
        data = ", ".join(f"{count:,} {name}" for name, count in run.counts.items())
        lines += [
            f"### {run.label}",
            "",
            f"Data: {data}; "
            + (f"seeded in {run.seed_seconds:.1f} s. " if run.seed_seconds else "seeded by an earlier run. ")
            + f"Load average before measuring: {run.load}.",
            "",
            "| target | path | n | p50 ms | p95 ms | max ms | note |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        for f in run.figures:
            if f.samples:
                cells = [str(len(f.samples)), *(f"{f.percentile(p):.1f}" for p in (50, 95, 100))]
            else:
                cells = ["0", "-", "-", "-"]
            lines.append(f"| {f.target.name} | `{f.path}` | {' | '.join(cells)} | {f.note} |")
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser, *, warmup: int, max_seconds: float) -> None:
    """The options ``run.py`` and ``compare.py`` share."""
    parser.add_argument("--factor", type=int, default=10, help="seed_scale factor (N*100 users, N*20,000 entries)")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="(this tree's) local database")
    parser.add_argument("--warmup", type=int, default=warmup, help="requests per target (and server) thrown away")
    parser.add_argument("--requests", type=int, default=100, help="requests (pairs of requests) measured per target")
    parser.add_argument("--max-seconds", type=float, default=max_seconds, help="time limit per target")
    parser.add_argument("--timeout", type=float, default=30, help="time limit per request")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (of each server)")
    parser.add_argument(
        "--targets", default="", help="comma-separated target groups or words of target names (default: all)"
    )
    parser.add_argument("--no-append", action="store_true", help="print only; leave RESULTS.md alone")


def checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with ``databases`` as a list and ``selected`` targets; a clear error for bad values."""
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    args.selected = select(TARGETS, args.targets)
    if not args.selected:
        parser.error(f"no target matches --targets {args.targets!r}")
    if not 1 <= args.factor <= 1000 or args.requests < 1 or args.warmup < 0:
        parser.error("--factor must be 1 to 1000, --requests at least 1, --warmup at least 0")
    return args


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, warmup=30, max_seconds=60)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data (benchmarks/out/, PostgreSQL not dropped) and reuse it when seeded at the same factor; "
        "new migrations (indexes) are still applied",
    )
    return checked(parser, parser.parse_args(argv))


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    command = " ".join(["python benchmarks/run.py", *argv])
    runs = [bench_database(kind, args) for kind in args.databases]
    report = render(runs, args, command)
    print(report)
    if not args.no_append:
        if not RESULTS.exists():
            RESULTS.write_text(
                "# Benchmark results\n\nAppended by `make bench` (`benchmarks/run.py`); newest last.\n\n"
            )
        with RESULTS.open("a") as out:
            out.write("\n" + report)
        log(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
