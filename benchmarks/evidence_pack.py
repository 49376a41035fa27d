"""Evidence pack build time against ``sha256sum`` + ``zip -1`` on the same files.

    .venv/bin/python benchmarks/evidence_pack.py [--files 10000] [--size 1GiB] [--level 1]

Generates ``--files`` evidence files totalling ``--size`` bytes in a temporary folder
(half text-like: log lines with varying numbers, as .log/.txt/.csv/.json; half random
bytes, as .bin (sniffed), .png and .pdf; sizes spread from a few hundred bytes to a
few MiB), then times in the same run:

(a) our pack build of them (``PackWriter.add_file`` for each, ``finish``: fsync and
    rename included), in a child process, which also reports its peak RSS, then the
    time of ``verify_pack`` on the result;
(b) ``sha256sum`` of the same files (to a SHA256SUMS file) followed by
    ``zip -1 -q -r`` of them.

Goals: (a) at most half of (b); peak RSS of (a) under 200 MB. Prints the figures;
nothing is written to RESULTS.md. The folder is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MiB = 1 << 20
TEXT_EXTENSIONS = (".log", ".txt", ".csv", ".json")
BINARY_EXTENSIONS = (".bin", ".png", ".pdf")

# Linux carries ru_maxrss over execve from the spawning process; a small interpreter in
# between keeps the benchmark's own memory out of the child's figure.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?", text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r}")
    unit = (match.group(2) or "B").upper()[0]
    return int(float(match.group(1)) * {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[unit])


def human(size: float) -> str:
    return f"{size / MiB:,.0f} MiB" if size >= MiB else f"{size / 1024:,.0f} KiB"


def spread_sizes(count: int, total: int, rng: random.Random) -> list[int]:
    """``count`` sizes adding up to ``total``, log-normally spread (many small files, a few large)."""
    if count == 0:
        return []
    weights = [rng.lognormvariate(0, 1.5) for _ in range(count)]
    scale = total / sum(weights)
    sizes = [max(1, int(weight * scale)) for weight in weights]
    sizes[sizes.index(max(sizes))] += total - sum(sizes)
    return sizes


def text_pool(rng: random.Random, size: int = 16 * MiB) -> bytes:
    actions = ("login ok", "login failed", "sudo", "config change", "backup done", "key rotated", "export")
    lines = []
    length = 0
    while length < size:
        line = (
            f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z host=srv{rng.randint(1, 40):02d} "
            f"user=u{rng.randint(1, 5000)} action={rng.choice(actions)} "
            f"ip=10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)} "
            f"latency_ms={rng.randint(1, 2000)} request={rng.getrandbits(64):016x}\n"
        ).encode()
        lines.append(line)
        length += len(line)
    return b"".join(lines)


def generate(folder: Path, files: int, total: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = text_pool(rng)
    text_count = files // 2
    sizes = [(True, size) for size in spread_sizes(text_count, total // 2, rng)]
    sizes += [(False, size) for size in spread_sizes(files - text_count, total - total // 2, rng)]
    for index, (is_text, size) in enumerate(sizes):
        extensions = TEXT_EXTENSIONS if is_text else BINARY_EXTENSIONS
        path = folder / f"control-{index % 97:02d}" / f"evidence-{index:05d}{extensions[index % len(extensions)]}"
        path.parent.mkdir(exist_ok=True)
        with path.open("wb") as handle:
            left = size
            while left:
                step = min(left, 4 * MiB)
                if is_text:
                    start = rng.randrange(len(pool) - step) if step < len(pool) else 0
                    handle.write(pool[start : start + step])
                else:
                    handle.write(os.urandom(step))
                left -= step


def child_build(source: Path, target: Path, level: int, threads: int) -> None:
    """Run in a child process: build the pack, verify it, print figures as JSON."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audits.packs.signing import Ed25519Signer
    from audits.packs.verify_standalone import verify_pack
    from audits.packs.writer import PackWriter

    signer = Ed25519Signer(Ed25519PrivateKey.generate())
    started = time.perf_counter()
    paths = sorted(path for path in source.rglob("*") if path.is_file())
    with PackWriter(
        target,
        generator="benchmark",
        sign=signer,
        public_key_pem=signer.public_key_pem,
        compress_level=level,
        threads=threads,
    ) as writer:
        for path in paths:
            writer.add_file(path.relative_to(source).as_posix(), path)
        summary = writer.finish({"engagement": "benchmark"})
    build = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    build_rss, build_cpu = usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime
    print("built", flush=True)  # the parent's wall clock stops here
    started = time.perf_counter()
    report = verify_pack(target, signer.public_key_pem)
    verify = time.perf_counter() - started
    with open("/proc/self/status") as status:
        hwm = int(status.read().split("VmHWM:")[1].split()[0]) * 1024
    figures = {
        "build_seconds": build,
        "verify_seconds": verify,
        "verified": report.ok,
        "files": summary.files,
        "pack_size": summary.pack_size,
        "build_maxrss": build_rss,
        "build_cpu": build_cpu,
        "peak_rss": hwm,
    }
    print(json.dumps(figures))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(data: Path, out: Path, level: int, threads: int) -> tuple[float, dict[str, float]]:
    """Wall time from starting the child to its "built" line (interpreter start and imports included)."""
    command = [sys.executable, "-c", LAUNCHER, sys.executable, __file__, "--child-build", str(data), str(out)]
    command += ["--level", str(level), "--threads", str(threads)]
    started = time.perf_counter()
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        wall = time.perf_counter() - started
        rest = child.stdout.read()
    if line != "built\n" or child.returncode:
        raise RuntimeError(f"the build failed: {line}{rest}")
    return wall, json.loads(rest)


def run_baseline(data: Path, out: Path) -> tuple[float, float]:
    """Wall seconds of sha256sum, then of zip."""
    names = sorted(path.relative_to(data).as_posix() for path in data.rglob("*") if path.is_file())
    started = time.perf_counter()
    with (out / "SHA256SUMS").open("wb") as sums:
        for start in range(0, len(names), 2000):
            batch = names[start : start + 2000]
            subprocess.run(["/usr/bin/sha256sum", "--", *batch], cwd=data, stdout=sums, check=True)
    hashed = time.perf_counter()
    subprocess.run(["/usr/bin/zip", "-1", "-q", "-r", str(out / "baseline.zip"), "."], cwd=data, check=True)
    return hashed - started, time.perf_counter() - hashed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=parse_size, default=1 << 30, help="total bytes (e.g. 1GiB, 200MiB)")
    parser.add_argument("--level", type=int, default=1, help="zlib level of deflated members")
    parser.add_argument("--threads", type=int, default=2, help="deflate worker threads (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary folder goes")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and packs")
    parser.add_argument("--child-build", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        sys.path.insert(0, str(ROOT))
        child_build(*args.child_build, level=args.level, threads=args.threads)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="evidence-pack-bench-", dir=args.workdir))
    try:
        data, out = folder / "evidence", folder / "out"
        data.mkdir()
        out.mkdir()
        started = time.perf_counter()
        generate(data, args.files, args.size, args.seed)
        os.sync()
        print(f"Generated {args.files:,} files, {human(args.size)} in {time.perf_counter() - started:.1f} s ({folder})")

        cpu_before = children_cpu()
        hash_seconds, zip_seconds = run_baseline(data, out)
        baseline = hash_seconds + zip_seconds
        cpu_middle = children_cpu()
        ours, figures = run_ours(data, out / "pack.zip", args.level, args.threads)
        baseline_cpu = cpu_middle - cpu_before
        ratio = ours / baseline

        cpu = platform.processor() or platform.machine()
        print(f"\nEvidence pack benchmark ({platform.python_version()}, {os.cpu_count()} cores, {cpu})")
        print(
            f"  files: {args.files:,}, {human(args.size)} (half text-like, half random), "
            f"zlib level {args.level}, {args.threads} deflate threads, load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"  (a) PackWriter: {ours:.2f} s wall (build {figures['build_seconds']:.2f} s in the child, "
            f"fsync included), pack {human(figures['pack_size'])}, peak RSS {human(figures['peak_rss'])} "
            f"(ru_maxrss after build {human(figures['build_maxrss'])})"
        )
        print(
            f"  (b) sha256sum + zip -1: {baseline:.2f} s (sha256sum {hash_seconds:.2f} s, zip {zip_seconds:.2f} s), "
            f"zip {human((out / 'baseline.zip').stat().st_size)}"
        )
        print(f"  ratio a/b: {ratio:.2f} (goal <= 0.50: {'met' if ratio <= 0.5 else 'NOT met'})")
        print(
            f"  CPU seconds (user+sys, less sensitive to other load): (a) {figures['build_cpu']:.2f} "
            f"(start and imports included), (b) {baseline_cpu:.2f}"
        )
        print(f"  peak RSS goal < 200 MB: {'met' if figures['peak_rss'] < 200e6 else 'NOT met'}")
        print(f"  verify_pack of the result: {figures['verify_seconds']:.2f} s, ok={figures['verified']}")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
