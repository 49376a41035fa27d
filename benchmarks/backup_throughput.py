"""Backups against ``age`` and ``restic``, on the same 1 GiB in the same run (``make bench`` does not run it).

Builds, in a temporary folder, a Rampart of its own: a migrated SQLite database grown to about
``--db-mib`` (a table of rows, half random bytes and half text) and a folder of stored files of
about ``--files-mib`` (files of 64 KiB to 8 MiB, half random, half text). Then, ``--repeat`` times,
alternately:

1. encrypt-and-hash: ``backups.age.encrypt`` of the database file with the SHA-256 of plaintext and
   ciphertext (what a set's manifest needs), in a child process, against ``age -r`` of the same
   file (which hashes nothing);
2. the whole backup: ``manage.py backup_now PLAN`` (audit checkpoint, SQLite online backup,
   encryption, the tar of the stored files, the signed manifest and the verification that
   re-reads every file), with zstd and without, against ``restic backup`` of the same database
   file and folder into a new repository (restic compresses with zstd by default).

Wall time, CPU time and peak memory (maximum resident set size) of each run come from GNU
``time``. ``restic`` is installed with ``apt-get`` when missing and we are root. Prints a
markdown report and, with ``--write``, appends it to ``benchmarks/RESULTS.md``.
Run: ``.venv/bin/python benchmarks/backup_throughput.py --write``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
MIB = 1024 * 1024
PYTHON = sys.executable
TIME = "/usr/bin/time"  # GNU time (Debian package time)
WORDS = (
    b"invoice payroll ledger supplier customer contract audit evidence backup restore control risk "
    b"policy access review account approval payment receipt balance journal entry period close "
)


@dataclass
class Sample:
    seconds: float
    maxrss_kib: int
    cpu_seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)


def run_child(command: list[str], *, env: dict[str, str] | None = None, stdout: int | None = None) -> Sample:
    """Run ``command`` under GNU ``time``: wall time, CPU time and the command's own peak RSS.

    (``wait4`` on a direct child would count the memory of this process copied at ``fork``.)
    """
    with tempfile.NamedTemporaryFile("r") as measured:
        wrapped = [TIME, "-f", "%e %U %S %M", "-o", measured.name, *command]
        done = subprocess.run(wrapped, env=env, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.decode(errors='replace')}")
        wall, user, system, rss = measured.read().split()[-4:]
    return Sample(float(wall), int(rss), float(user) + float(system))


def text_block(size: int, seed: int) -> bytes:
    line = WORDS * (1 + size // len(WORDS))
    offset = (seed * 7919) % len(WORDS)
    return (line[offset:] + line[:offset])[:size]


def make_payload(size: int, seed: int) -> bytes:
    """Half random (incompressible), half text (compresses well), like scans next to CSV exports."""
    return os.urandom(size // 2) + text_block(size - size // 2, seed)


def sandbox_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "RAMPART_"))}
    env.update(
        RAMPART_VAR_DIR=str(var),
        RAMPART_SQLITE_PATH=str(var / "rampart.sqlite3"),
        RAMPART_SECRET_KEY="backup-benchmark-secret-key-0123456789abcdef",  # noqa: S106 - a throwaway instance
        RAMPART_DEBUG="1",
        RAMPART_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build(work: Path, db_mib: int, files_mib: int, recipient: str) -> tuple[dict[str, str], Path, Path]:
    var = work / "var"
    var.mkdir()
    env = sandbox_env(var)
    print("Migrating a fresh Rampart database...", flush=True)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "backup_recipient", "add", "bench", recipient)
    script = (
        "from backups.models import BackupPlan as P\n"
        "P.objects.create(name='bench-zstd', what='both', compression=True, keep_daily=1000)\n"
        "P.objects.create(name='bench-plain', what='both', compression=False, keep_daily=1000)\n"
    )
    manage(env, "shell", "-c", script)
    database = var / "rampart.sqlite3"
    print(f"Growing the database to about {db_mib} MiB...", flush=True)
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE bench_document (id INTEGER PRIMARY KEY, title TEXT, body BLOB)")
        row = 256 * 1024
        for index in range(db_mib * MIB // row):
            db.execute(
                "INSERT INTO bench_document (title, body) VALUES (?, ?)", (f"doc {index}", make_payload(row, index))
            )
        db.commit()
    db2 = sqlite3.connect(database)
    db2.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db2.close()
    files = var / "files"
    print(f"Writing about {files_mib} MiB of stored files...", flush=True)
    written, index = 0, 0
    sizes = [64 * 1024, 512 * 1024, 2 * MIB, 8 * MIB]
    while written < files_mib * MIB:
        size = min(sizes[index % len(sizes)], files_mib * MIB - written)
        path = files / f"{index % 17:02d}" / f"document-{index:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_payload(size, index))
        written += size
        index += 1
    return env, database, files


ENCRYPT_CHILD = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from backups.age import X25519Recipient, encrypt
recipient = X25519Recipient.parse({recipient!r})
start = time.perf_counter()
with open({source!r}, "rb") as src, open({target!r}, "wb") as dst:
    stats = encrypt(src, dst, [recipient])
print(json.dumps({{"seconds": time.perf_counter() - start, "plaintext_sha256": stats.plaintext_sha256}}))
"""


def ours_encrypt(source: Path, target: Path, recipient: str) -> Sample:
    code = ENCRYPT_CHILD.format(root=str(ROOT), recipient=recipient, source=str(source), target=str(target))
    with tempfile.TemporaryFile() as out:
        sample = run_child([PYTHON, "-c", code], stdout=out.fileno())
        out.seek(0)
        inner = json.loads(out.read())
    sample.extra = {"inner_seconds": inner["seconds"]}
    return sample


def restic_ready() -> str:
    found = shutil.which("restic")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing restic (apt-get install -y restic)...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "restic"], check=True, capture_output=True)
        found = shutil.which("restic")
    if not found:
        raise SystemExit("restic is missing: apt-get install -y restic")
    return found


def restic_backup(restic: str, repo: Path, paths: list[Path]) -> Sample:
    env = dict(os.environ, RESTIC_REPOSITORY=str(repo), RESTIC_CACHE_DIR=str(repo) + "-cache")
    env["RESTIC_PASSWORD"] = "benchmark"  # noqa: S105 - a throwaway repository
    shutil.rmtree(repo, ignore_errors=True)
    shutil.rmtree(str(repo) + "-cache", ignore_errors=True)
    subprocess.run([restic, "init"], env=env, check=True, capture_output=True)
    return run_child([restic, "backup", "--quiet", *map(str, paths)], env=env)


def our_backup(env: dict[str, str], plan: str) -> Sample:
    with tempfile.TemporaryFile() as out:
        sample = run_child([PYTHON, str(ROOT / "manage.py"), "backup_now", plan], env=env, stdout=out.fileno())
        out.seek(0)
        lines = out.read().decode().splitlines()
    set_dir = Path(lines[-1]).parent
    sample.extra = {"stored_bytes": sum(p.stat().st_size for p in set_dir.iterdir())}
    shutil.rmtree(set_dir)  # the next run starts from the same destination state
    return sample


def mib_s(size: int, seconds: float) -> float:
    return size / MIB / seconds


def summary(samples: list[Sample]) -> tuple[float, float]:
    times = [s.seconds for s in samples]
    return min(times), statistics.median(times)


def report(args: argparse.Namespace, data: dict[str, int], results: dict[str, list[Sample]]) -> str:
    total = data["database"] + data["files"]
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · backups against age and restic",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other work, "
        f"Python {platform.python_version()}; load average at the end: {load}.",
        f"- Data: a SQLite Rampart database of {data['database'] / MIB:.0f} MiB and {data['files_count']} "
        f"stored files of {data['files'] / MIB:.0f} MiB (half random bytes, half text): {total / MIB:.0f} MiB; "
        f"{args.repeat} alternating runs each, best and median wall time.",
        "",
        "| what | best | median | MiB/s (best) | CPU s (user+sys, least) | peak RSS | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows = [
        ("ours: encrypt + SHA-256 of plaintext and ciphertext, database file", "ours_encrypt", data["database"], ""),
        ("`age -r` of the same file (no hashing)", "age", data["database"], ""),
        (
            "ours: `backup_now`, zstd (level 1), whole backup",
            "ours_zstd",
            total,
            "checkpoint, snapshot, tar, manifest, verification",
        ),
        ("ours: `backup_now`, no compression, whole backup", "ours_plain", total, "the same, without zstd"),
        (
            "`restic backup` of the same file and folder (new repository)",
            "restic",
            total,
            "restic's default: zstd auto",
        ),
    ]
    for label, key, size, note in rows:
        best, median = summary(results[key])
        rss = max(s.maxrss_kib for s in results[key]) / 1024
        stored = results[key][0].extra.get("stored_bytes")
        extra = f"{note}; stored {int(stored) / MIB:.0f} MiB" if stored else note
        cpu = min(s.cpu_seconds for s in results[key])
        speed = mib_s(size, best)
        lines.append(f"| {label} | {best:.2f} s | {median:.2f} s | {speed:.0f} | {cpu:.2f} | {rss:.0f} MiB | {extra} |")
    ours, age = summary(results["ours_encrypt"])[0], summary(results["age"])[0]
    zstd, plain, restic = (summary(results[k])[0] for k in ("ours_zstd", "ours_plain", "restic"))
    peak = max(s.maxrss_kib for k in ("ours_encrypt", "ours_zstd", "ours_plain") for s in results[k]) / 1024
    lines += [
        "",
        f"- Encrypt-and-hash throughput: **{age / ours:.2f}x** age's (goal ≥ 0.8x).",
        f"- Whole backup: zstd {restic / zstd:.2f}x, no compression {restic / plain:.2f}x restic's speed "
        "(above 1 is faster than restic).",
        f"- Peak memory of our processes: **{peak:.0f} MiB** (goal < 100 MB); a Django process alone is about 50 MiB.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-mib", type=int, default=600)
    parser.add_argument("--files-mib", type=int, default=424)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", help="Where to build the data (default: a temporary folder, deleted after).")
    parser.add_argument("--write", action="store_true", help="Append the report to benchmarks/RESULTS.md.")
    parser.add_argument("--keep", action="store_true", help="Keep the data (with --dir) to look at it afterwards.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from backups.age import X25519Identity

    age = shutil.which("age") or sys.exit("age is missing: apt-get install -y age")
    restic = restic_ready()
    recipient = str(X25519Identity.generate().recipient)
    work = Path(tempfile.mkdtemp(prefix="rampart-backup-bench-", dir=args.dir))
    try:
        env, database, files = build(work, args.db_mib, args.files_mib, recipient)
        data = {
            "database": database.stat().st_size,
            "files": sum(p.stat().st_size for p in files.rglob("*") if p.is_file()),
            "files_count": sum(1 for p in files.rglob("*") if p.is_file()),
        }
        results: dict[str, list[Sample]] = {k: [] for k in ("ours_encrypt", "age", "ours_zstd", "ours_plain", "restic")}
        target = work / "out.age"
        if args.keep:
            print(f"Data kept in {work}", flush=True)
        for round_ in range(1, args.repeat + 1):
            print(f"Round {round_} of {args.repeat}...", flush=True)
            results["ours_encrypt"].append(ours_encrypt(database, target, recipient))
            results["age"].append(run_child([age, "-r", recipient, "-o", str(target), str(database)]))
            target.unlink()
            results["ours_zstd"].append(our_backup(env, "bench-zstd"))
            results["restic"].append(restic_backup(restic, work / "restic-repo", [database, files]))
            results["ours_plain"].append(our_backup(env, "bench-plain"))
        text = report(args, data, results)
        print(text)
        if args.write:
            with RESULTS.open("a") as handle:
                handle.write("\n" + text)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
