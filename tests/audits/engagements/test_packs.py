"""Evidence packs of an engagement: built, verified by both verifiers, tampering detected."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from audits.checkpoints import read_checkpoints, verify_trail
from audits.packs import verify_pack
from core import signing
from tests.audits.conftest import rewrite_from
from tests.audits.engagements.conftest import World


def _build(tmp_path: Path) -> Path:
    out = tmp_path / "pack.zip"
    call_command("build_pack", "Demo audit", "--output", str(out))
    return out


def _verify_command(path: Path, key: Path | None = None) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    args = [str(path)] + (["--public-key", str(key)] if key else [])
    try:
        call_command("verify_pack", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_pack_contents(world: World, tmp_path: Path) -> None:
    path = _build(tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        controls = archive.read("data/controls.csv").decode()
        oscal = json.loads(archive.read("oscal/assessment-results.json"))
        verification = json.loads(archive.read("audit-trail/verification.json"))
    for member in (
        "manifest.sig",
        "verify.py",
        "index.html",
        "data/requirements.json",
        "data/risks.csv",
        "data/exceptions.csv",
        "data/evidence_requests.json",
        "audit-trail/entries.csv",
    ):
        assert member in names, member
    assert any(n.startswith("evidence/") and n.endswith("report.pdf") for n in names)
    assert "CTL-1" in controls and "CTL-9" not in controls
    assert manifest["engagement"]["name"] == "Demo audit"
    assert manifest["scope"]["frameworks"] == ["iso27001"]
    assert verification["ok"] is True
    results = oscal["assessment-results"]
    assert results["metadata"]["oscal-version"].startswith("1.1")
    assert {"uuid", "metadata", "import-ap", "results"} <= set(results)
    result = results["results"][0]
    assert {"uuid", "title", "description", "start", "reviewed-controls"} <= set(result)
    assert [f["target"]["target-id"] for f in result["findings"]] == ["ctl-1"]


def test_the_pack_carries_a_checkpoint_that_anchors_the_trail(world: World, tmp_path: Path) -> None:
    path = _build(tmp_path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        held = archive.read("audit-trail/checkpoints.jsonl").decode().splitlines()
    checkpoint = manifest["audit_checkpoint"]
    assert checkpoint["sequence"] >= 1 and json.loads(held[-1]) == checkpoint
    found = read_checkpoints(path)
    assert not found.problems
    assert checkpoint["sequence"] in {c.checkpoint.sequence for c in found.checkpoints}
    assert verify_trail(extra=found, held=False, full=True).ok
    # A rewrite of an entry the checkpoint covers (every later hash recomputed, as a DBA could)
    # passes the plain chain check but contradicts the checkpoint carried by the pack.
    rewrite_from(1, object_repr="rewritten")
    report = verify_trail(extra=found, held=False, full=True)
    assert report.chain.ok and not report.ok
    assert report.contradicted


def test_pack_verifies_with_both_verifiers(world: World, tmp_path: Path) -> None:
    path = _build(tmp_path)
    key = tmp_path / "key.pem"
    key.write_text(signing.public_key_pem())
    assert verify_pack(path, key.read_bytes()).ok
    code, output = _verify_command(path, key)
    assert code == 0, output
    assert output.startswith("OK:")
    with zipfile.ZipFile(path) as archive:
        (tmp_path / "verify.py").write_bytes(archive.read("verify.py"))
    done = subprocess.run(
        [sys.executable, str(tmp_path / "verify.py"), str(path), "--public-key", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _tampered(path: Path, target: Path, member: str) -> Path:
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                changed = data.replace(b"CTL-1", b"CTL-2").replace(b"Demo audit", b"Demo audiT")
                assert changed != data
                data = changed
            copy.writestr(info, data)
    return target


@pytest.mark.parametrize("member", ["data/controls.csv", "manifest.json"])
def test_tampering_is_detected_by_both_verifiers(world: World, tmp_path: Path, member: str) -> None:
    path = _tampered(_build(tmp_path), tmp_path / "tampered.zip", member)
    key = tmp_path / "key.pem"
    key.write_text(signing.public_key_pem())
    code, output = _verify_command(path, key)
    assert code == 1
    assert "FAILED" in output
    with zipfile.ZipFile(path) as archive:
        (tmp_path / "verify.py").write_bytes(archive.read("verify.py"))
    done = subprocess.run(
        [sys.executable, str(tmp_path / "verify.py"), str(path), "--public-key", str(key)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "FAILED" in done.stdout


def test_a_failed_build_leaves_no_finished_file(world: World, tmp_path: Path, settings: Any) -> None:
    from audits.engagements.pack import write_pack

    world.evidence.file.storage.delete(world.evidence.file.name)  # the evidence file vanished
    target = tmp_path / "out" / "pack.zip"
    target.parent.mkdir()
    with pytest.raises(FileNotFoundError):
        write_pack(world.engagement, target)
    assert list(target.parent.iterdir()) == []
