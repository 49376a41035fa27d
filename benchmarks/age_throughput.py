"""Encryption throughput of ``backups.age`` against the ``age`` tool, on the same file.

Creates a file of random data (1 GiB unless ``--size-mib``) in a temporary
folder, then, ``--repeat`` times, alternately:

* encrypts it with ``backups.age.encrypt`` in a child process, computing the
  SHA-256 of plaintext and ciphertext in the same pass (as a backup manifest
  needs), timed inside the child around the call, and
* encrypts it with ``age -r`` (wall time of the process).

Reports MiB/s for both (best and median run), the ratio, and the peak RSS of
our child (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``). The first
output of ours is checked by decrypting it with ``age -d``. Everything is
deleted at the end. Run: ``.venv/bin/python benchmarks/age_throughput.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def child(source: str, target: str, recipient: str, *, threads: bool, hashing: bool) -> None:
    """Encrypt ``source`` to ``target`` and print a JSON line of timings and stats."""
    sys.path.insert(0, str(ROOT))
    from backups.age import X25519Recipient, encrypt

    parsed = X25519Recipient.parse(recipient)
    start = time.perf_counter()
    cpu = os.times()
    with open(source, "rb") as src, open(target, "wb") as dst:
        stats = encrypt(src, dst, [parsed], hashing=hashing, threads=threads)
    seconds = time.perf_counter() - start
    after = os.times()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "user": after.user - cpu.user,
                "system": after.system - cpu.system,
                "plaintext_size": stats.plaintext_size,
                "plaintext_sha256": stats.plaintext_sha256,
                "ciphertext_size": stats.ciphertext_size,
                "ciphertext_sha256": stats.ciphertext_sha256,
                "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def make_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as out:
        remaining = size
        while remaining:
            block = os.urandom(min(remaining, 4 * MIB))
            digest.update(block)
            out.write(block)
            remaining -= len(block)
    return digest.hexdigest()


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {model or platform.processor()}, Linux {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the test file (default 1024)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each encryptor (default 3)")
    parser.add_argument("--no-threads", action="store_true", help="hash on the calling thread only")
    parser.add_argument("--no-hashing", action="store_true", help="do not compute the SHA-256 digests")
    parser.add_argument("--no-verify", action="store_true", help="skip decrypting our output with age -d")
    parser.add_argument("--dir", default=None, help="where to put the temporary files (default: the temp dir)")
    parser.add_argument("--child", nargs=3, metavar=("SRC", "DST", "RECIPIENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    threads, hashing = not args.no_threads, not args.no_hashing
    if args.child:
        child(*args.child, threads=threads, hashing=hashing)
        return 0

    age, keygen = shutil.which("age"), shutil.which("age-keygen")
    if not age or not keygen:
        print("The age tools are needed: apt-get install age", file=sys.stderr)
        return 2
    version = subprocess.run([age, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    size = args.size_mib * MIB
    with tempfile.TemporaryDirectory(prefix="age-bench-", dir=args.dir) as folder:
        work = Path(folder)
        key = work / "key.txt"
        subprocess.run([keygen, "-o", str(key)], check=True, capture_output=True)
        recipient = subprocess.run([keygen, "-y", str(key)], check=True, capture_output=True, text=True).stdout.strip()
        source, ours_out, age_out = work / "plain.bin", work / "ours.age", work / "age.age"
        print(f"Creating {args.size_mib} MiB of random data in {work} ...", file=sys.stderr)
        plaintext_sha256 = make_random_file(source, size)

        ours: list[dict[str, float]] = []
        theirs: list[float] = []
        age_cpu: list[tuple[float, float]] = []
        for run in range(args.repeat):
            ours_out.unlink(missing_ok=True)
            command = [sys.executable, str(Path(__file__).resolve()), "--child", str(source), str(ours_out), recipient]
            if not threads:
                command.append("--no-threads")
            if not hashing:
                command.append("--no-hashing")
            start = time.perf_counter()
            result = subprocess.run(command, check=True, capture_output=True, text=True)
            process_seconds = time.perf_counter() - start
            report = json.loads(result.stdout)
            assert report["plaintext_sha256"] in (plaintext_sha256, None), "wrong plaintext digest"
            assert report["ciphertext_size"] == ours_out.stat().st_size
            ours.append({**report, "process_seconds": process_seconds})
            if run == 0 and not args.no_verify:
                if hashing:
                    verify_ciphertext(ours_out, report["ciphertext_sha256"])
                verify_with_age(age, key, ours_out, plaintext_sha256)
            ours_out.unlink()

            age_out.unlink(missing_ok=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([age, "-r", recipient, "-o", str(age_out), str(source)], check=True)
            theirs.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            age_cpu.append((after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime))
            age_out.unlink()
            print(
                f"run {run + 1}: ours {args.size_mib / report['seconds']:.0f} MiB/s "
                f"(user {report['user']:.2f} s, system {report['system']:.2f} s), "
                f"age {args.size_mib / theirs[-1]:.0f} MiB/s "
                f"(user {age_cpu[-1][0]:.2f} s, system {age_cpu[-1][1]:.2f} s)",
                file=sys.stderr,
            )
        peak_rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    ours_rates = [args.size_mib / run["seconds"] for run in ours]
    process_rates = [args.size_mib / run["process_seconds"] for run in ours]
    age_rates = [args.size_mib / seconds for seconds in theirs]
    load = os.getloadavg()
    print(f"## age v1 encryption throughput, {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC\n")
    print(f"- machine: {machine()}; load average before the report {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"- Python {platform.python_version()}, {version_of('cryptography')}; age {version}")
    print(
        f"- file: {args.size_mib} MiB of random data; {args.repeat} runs each, alternating; "
        f"ours {'hashes plaintext and ciphertext (SHA-256)' if hashing else 'does not hash'}, "
        f"threads={'on' if threads else 'off'}\n"
    )
    print("| encryptor | best MiB/s | median MiB/s |")
    print("| --- | ---: | ---: |")
    print(f"| backups.age (time of the encrypt call) | {max(ours_rates):.0f} | {statistics.median(ours_rates):.0f} |")
    print(f"| backups.age (whole child process) | {max(process_rates):.0f} | {statistics.median(process_rates):.0f} |")
    print(f"| age -r (whole process) | {max(age_rates):.0f} | {statistics.median(age_rates):.0f} |")
    print(
        f"\nRatio ours/age: best {max(ours_rates) / max(age_rates):.2f}, "
        f"median {statistics.median(ours_rates) / statistics.median(age_rates):.2f} "
        f"(whole process: median {statistics.median(process_rates) / statistics.median(age_rates):.2f})"
    )
    cpu = [run["user"] + run["system"] for run in ours]
    print(
        f"CPU time (user + system, all threads), median: ours {statistics.median(cpu):.2f} s "
        f"(user {statistics.median(run['user'] for run in ours):.2f}), "
        f"age {statistics.median(u + s for u, s in age_cpu):.2f} s "
        f"(user {statistics.median(u for u, _ in age_cpu):.2f})"
    )
    print(f"Peak RSS of our child process: {peak_rss_kib / 1024:.1f} MiB (RUSAGE_CHILDREN)")
    return 0


def version_of(package: str) -> str:
    from importlib.metadata import version

    return f"{package} {version(package)}"


def verify_ciphertext(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while block := data.read(4 * MIB):
            digest.update(block)
    assert digest.hexdigest() == expected, "the reported ciphertext digest does not match the file"


def verify_with_age(age: str, key: Path, path: Path, plaintext_sha256: str) -> None:
    digest = hashlib.sha256()
    with subprocess.Popen([age, "-d", "-i", str(key), str(path)], stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        while block := process.stdout.read(4 * MIB):
            digest.update(block)
    assert process.returncode == 0, "age -d failed on our output"
    assert digest.hexdigest() == plaintext_sha256, "age -d did not give back the plaintext"


if __name__ == "__main__":
    raise SystemExit(main())
