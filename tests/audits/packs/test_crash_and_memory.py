"""A killed build leaves no pack under the final name; memory stays bounded for huge members."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from audits.packs.verify_standalone import verify_pack
from tests.audits.packs.conftest import ROOT

BUILDER = """
import os, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from audits.packs.signing import Ed25519Signer
from audits.packs.writer import PackWriter

target, mode = sys.argv[1], sys.argv[2]


def pause(message):
    print(message, flush=True)
    time.sleep(120)


if mode == "before-rename":
    real_replace = os.replace

    def replace(src, dst):
        pause("before rename")
        real_replace(src, dst)

    os.replace = replace

signer = Ed25519Signer(Ed25519PrivateKey.generate())
writer = PackWriter(target, generator="crash-test", sign=signer, public_key_pem=signer.public_key_pem)
writer.add_bytes("first.txt", b"x" * 100_000)


def chunks():
    for i in range(32):
        yield os.urandom(1 << 20)
        if i == 8 and mode == "mid-member":
            pause("mid-member")


writer.add_stream("big.bin", chunks())
writer.finish({"engagement": "crash"})
print("finished", flush=True)
"""


def start_builder(target: Path, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BUILDER, str(target), mode], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def test_an_uninterrupted_build_completes(tmp_path: Path) -> None:
    """The control for the kills below: the same child, left alone, makes a valid pack."""
    target = tmp_path / "pack.zip"
    child = start_builder(target, "no-pause")
    out, _ = child.communicate(timeout=120)

    assert child.returncode == 0
    assert out == "finished\n"
    assert [path.name for path in tmp_path.iterdir()] == ["pack.zip"]
    assert verify_pack(target).ok


@pytest.mark.parametrize("mode", ["mid-member", "before-rename"])
def test_a_build_killed_with_sigkill_leaves_no_final_file(tmp_path: Path, mode: str) -> None:
    target = tmp_path / "pack.zip"
    child = start_builder(target, mode)
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == mode.replace("-", " ", mode == "before-rename")
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    assert child.returncode == -signal.SIGKILL
    assert not target.exists()
    (partial,) = tmp_path.iterdir()  # what a crash leaves: only the temporary file, never the final name
    assert partial.name.startswith("pack.zip.")
    assert partial.name.endswith(".partial")
    assert partial.stat().st_size > 8 << 20


MEMORY_PROBE = """
import json, resource, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from audits.packs.signing import Ed25519Signer
from audits.packs.verify_standalone import verify_pack
from audits.packs.writer import PackWriter

source, target = sys.argv[1], sys.argv[2]
signer = Ed25519Signer(Ed25519PrivateKey.generate())
with PackWriter(target, generator="memory-test", sign=signer, public_key_pem=signer.public_key_pem) as writer:
    writer.add_file("evidence/big.bin", source)  # deflated
    writer.add_file("evidence/big.png", source)  # stored
    summary = writer.finish({})
after_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = verify_pack(target, signer.public_key_pem)
with open("/proc/self/status") as status:
    peak_kib = int(status.read().split("VmHWM:")[1].split()[0])
print(json.dumps({
    "vm_hwm_kib": peak_kib,
    "ok": report.ok,
    "total_size": summary.total_size,
    "after_build_kib": after_build,
    "after_verify_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


# Linux carries ru_maxrss over execve from the process that spawned the child: a child started
# straight from pytest would report pytest's own peak. A small interpreter in between starts it.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


@pytest.mark.slow
def test_memory_stays_bounded_for_a_300_mb_member(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as handle:
        handle.truncate(300 << 20)  # sparse: 300 MB of zeros without writing them

    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, "-c", MEMORY_PROBE, str(source), str(tmp_path / "pack.zip")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    figures = json.loads(result.stdout)

    assert figures["ok"]
    assert figures["total_size"] > 600 << 20
    assert figures["after_build_kib"] < 100 << 10, figures  # ru_maxrss is in KiB on Linux
    assert figures["after_verify_kib"] < 100 << 10, figures
    assert figures["vm_hwm_kib"] < 100 << 10, figures
