"""Audit-trail verification speed: a full verification and an incremental one, on both databases.

    .venv/bin/python benchmarks/audit_verify.py [--database sqlite|postgres|both]
        [--entries 1000000] [--new 10000] [--reuse] [--runs 2]

For each database, in a dedicated benchmark database (PostgreSQL:
``postgres://postgres@127.0.0.1:5432/rampart_bench_audit``, recreated unless ``--reuse``;
SQLite: ``/tmp/rampart_bench_audit.sqlite3``):

1. the trail is filled up to ``--entries`` chained entries (a raw, batched insert that
   chains each entry with the project's own ``entry_payload`` and moves the chain head
   once per batch, as ``append_entries`` does; on PostgreSQL the head trigger checks
   every batch);
2. a fresh process times ``verify_audit_trail --full`` (``verify_chain()``), with its
   peak memory (``ru_maxrss``) before and after;
3. ``--held`` checkpoints are signed at evenly spaced entries (a year of hourly ones by
   default), then one of the head with ``make_checkpoint``; ``--new`` more entries are
   appended, and a fresh process times the incremental verification
   (``verify_since_checkpoints()``: every held checkpoint's signature and entry checked,
   then only the entries after the newest).

Each measured step runs ``--runs`` times; the best and the worst are printed. Keys and
checkpoint files go to a temporary ``RAMPART_VAR_DIR``. Prints a Markdown section to
paste into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/rampart_bench_audit"
SQLITE_PATH = os.path.join(tempfile.gettempdir(), "rampart_bench_audit.sqlite3")
CHUNK = 20_000


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _max_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(target: int) -> dict[str, Any]:
    """Chain and insert entries until the trail holds ``target`` entries (beyond the head)."""
    _setup()
    from datetime import UTC, datetime, timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from audits.models import ChainHead, LogEntry, LogEntryQuerySet, entry_payload, hash_payload

    insert = super(LogEntryQuerySet, LogEntry.objects.all()).bulk_create
    types = list(ContentType.objects.filter(app_label__in=["access", "governance", "auth"]).order_by("pk")[:12])
    keys = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in types}
    addresses = ["10.0.0.1", "10.0.0.2", "192.168.10.20", "2001:db8::1"]
    start_time = datetime(2026, 1, 1, tzinfo=UTC)
    head = ChainHead.current()
    added = 0
    began = time.perf_counter()
    while head.sequence < target:
        count = min(CHUNK, target - head.sequence)
        with transaction.atomic():
            head = ChainHead.locked()
            sequence, last_hash = head.sequence, head.last_hash
            batch = []
            for _ in range(count):
                sequence += 1
                ct = types[sequence % len(types)]
                values: dict[str, Any] = {
                    "content_type_id": ct.pk,
                    "object_pk": str(sequence % 5000),
                    "object_id": sequence % 5000,
                    "object_repr": f"Control C-{sequence % 5000:05d}: access reviews quarterly",
                    "serialized_data": None,
                    "action": sequence % 3,
                    "changes_text": "",
                    "changes": {"status": ["draft", "active"], "owner": [str(sequence % 97), str(sequence % 89)]},
                    "actor_id": None,
                    "actor_email": f"user{sequence % 500:05d}@bench.rampart.test",
                    "cid": f"req-{sequence:012d}",
                    "remote_addr": addresses[sequence % len(addresses)],
                    "remote_port": 40000 + sequence % 20000,
                    "timestamp": start_time + timedelta(seconds=sequence * 7, microseconds=sequence % 999_983),
                    "additional_data": {"via": "web"} if sequence % 2 else None,
                }
                hashed = {k: v for k, v in values.items() if k != "content_type_id"}
                entry_hash = hash_payload(
                    entry_payload(sequence=sequence, prev_hash=last_hash, content_type_key=keys[ct.pk], **hashed)
                )
                batch.append(LogEntry(sequence=sequence, prev_hash=last_hash, entry_hash=entry_hash, **values))
                last_hash = entry_hash
            insert(batch, batch_size=2000)
            head.advance(sequence=sequence, last_hash=last_hash)
        added += count
    return {"added": added, "seconds": round(time.perf_counter() - began, 1), "head": head.sequence}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the worker processes)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _server_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend process (same machine), else None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_full(runs: int, workers: int) -> dict[str, Any]:
    _setup()
    from audits.chain import verify_chain

    rss_before = _max_rss_mib()
    times, cpu, server = [], [], []
    result = None
    for _ in range(runs):
        server_began = _server_cpu_seconds()
        began, cpu_began = time.perf_counter(), _cpu_seconds()
        result = verify_chain(workers=workers)
        times.append(time.perf_counter() - began)
        cpu.append(_cpu_seconds() - cpu_began)
        server_now = _server_cpu_seconds()
        if server_began is not None and server_now is not None:
            server.append(round(server_now - server_began, 1))
    assert result is not None and result.ok, result and result.summary()
    return {
        "workers": workers,
        "entries": result.count,
        "seconds": [round(t, 1) for t in times],
        "cpu_seconds": [round(t, 1) for t in cpu],
        "server_cpu_seconds": server if workers == 1 else [],
        "per_second": round(result.count / min(times)),
        "rss_before_mib": round(rss_before, 1),
        "rss_after_mib": round(_max_rss_mib(), 1),
        "load": [round(x, 1) for x in os.getloadavg()],
        "summary": result.summary(),
    }


def checkpoint(held: int) -> dict[str, Any]:
    """``held`` earlier checkpoints (as a year of hourly ones would be), then one of the head."""
    _setup()
    from audits.checkpoints import checkpoint_store, make_checkpoint, sign_checkpoint
    from audits.models import ChainHead, LogEntry

    head = ChainHead.current().sequence
    store = checkpoint_store()
    if held:
        step = max(1, head // held)
        sequences = list(range(step, step * held + 1, step))[:held]
        hashes = dict(LogEntry.objects.filter(sequence__in=sequences).values_list("sequence", "entry_hash"))
        for sequence in sequences:
            store.append(sign_checkpoint(sequence=sequence, entry_hash=hashes[sequence]))
    began = time.perf_counter()
    made = make_checkpoint(reason="benchmark")
    return {"sequence": made.sequence, "held": held + 1, "seconds": round(time.perf_counter() - began, 2)}


def measure_incremental(runs: int) -> dict[str, Any]:
    _setup()
    from audits.checkpoints import verify_since_checkpoints

    times, cpu = [], []
    report = None
    for _ in range(runs):
        began, cpu_began = time.perf_counter(), _cpu_seconds()
        report = verify_since_checkpoints()
        times.append(time.perf_counter() - began)
        cpu.append(_cpu_seconds() - cpu_began)
    assert report is not None and report.ok, report and report.summary()
    return {
        "entries": report.chain.count,
        "seconds": [round(t, 3) for t in times],
        "cpu_seconds": [round(t, 3) for t in cpu],
        "load": [round(x, 1) for x in os.getloadavg()],
        "rss_after_mib": round(_max_rss_mib(), 1),
        "summary": report.summary(),
    }


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"step {args} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _recreate(database: str, env: dict[str, str]) -> None:
    if database == "postgres":
        for sql in ("DROP DATABASE IF EXISTS rampart_bench_audit", "CREATE DATABASE rampart_bench_audit"):
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"], env=env, check=True)


def bench(database: str, args: argparse.Namespace, var_dir: str) -> dict[str, Any]:
    own_var = Path(var_dir) / database  # each benchmark database has its own checkpoint file
    own_var.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", RAMPART_VAR_DIR=str(own_var))
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        env["DATABASE_URL"] = PG_URL
    else:
        env["RAMPART_SQLITE_PATH"] = SQLITE_PATH
    if not args.reuse:
        _recreate(database, env)
    print(f"[{database}] filling to {args.entries:,} entries ...", file=sys.stderr)
    filled = _child(env, "fill", str(args.entries))
    print(f"[{database}] {filled}", file=sys.stderr)
    full = [_child(env, "full", str(args.runs), str(workers)) for workers in (1, 2)]
    print(f"[{database}] full: {full}", file=sys.stderr)
    made = _child(env, "checkpoint", str(args.held))
    more = _child(env, "fill", str(made["sequence"] + args.new))
    incremental = _child(env, "incremental", str(args.runs))
    print(f"[{database}] incremental: {incremental}", file=sys.stderr)
    return {"database": database, "filled": filled, "full": full, "checkpoint": made, "more": more,
            "incremental": incremental}  # fmt: skip


def markdown(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"## {stamp} · audit-trail verification",
        "",
        f"- Command: `python benchmarks/audit_verify.py --entries {args.entries} --new {args.new} --runs {args.runs} "
        f"--held {args.held}`",
        f"- Machine: {os.cpu_count()} cores · Python {platform.python_version()}",
        "",
        "| database | verification | entries | seconds (each run) | CPU s, verifier | CPU s, PostgreSQL backend "
        "| entries/s | peak RSS MiB | load avg |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for full in r["full"]:
            lines.append(
                f"| {r['database']} | full, {full['workers']} process{'es' if full['workers'] > 1 else ''} | "
                f"{full['entries']:,} | {' / '.join(map(str, full['seconds']))} | "
                f"{' / '.join(map(str, full['cpu_seconds']))} | {' / '.join(map(str, full['server_cpu_seconds']))} | "
                f"{full['per_second']:,} | {full['rss_after_mib']} | "
                f"{full['load'][0]} |"
            )
        inc = r["incremental"]
        lines.append(
            f"| {r['database']} | incremental after a checkpoint | {inc['entries']:,} | "
            f"{' / '.join(map(str, inc['seconds']))} | {' / '.join(map(str, inc['cpu_seconds']))} | | | "
            f"{inc['rss_after_mib']} | {inc['load'][0]} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--held", type=int, default=8760, help="checkpoints held before the measured one (a year)")
    parser.add_argument("--reuse", action="store_true", help="keep the benchmark database and top it up")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, *rest = args.child
        steps = {
            "fill": lambda: fill(int(rest[0])),
            "full": lambda: measure_full(int(rest[0]), int(rest[1])),
            "checkpoint": lambda: checkpoint(int(rest[0]) if rest else 0),
            "incremental": lambda: measure_incremental(int(rest[0])),
        }
        print(json.dumps(steps[step]()))
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    var_dir = os.environ.get("RAMPART_BENCH_VAR_DIR") or tempfile.mkdtemp(prefix="rampart-bench-audit-")
    results = [bench(database, args, var_dir) for database in databases]
    print(markdown(results, args))


if __name__ == "__main__":
    main()
