"""Signed checkpoints: a rewrite that re-hashes the chain passes the chain check but not the checkpoints."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.management import call_command

from audits import chain
from audits.chain import HASH_MISMATCH, verify_chain
from audits.checkpoints import (
    Checkpoint,
    CheckpointRefusedError,
    canonical_bytes,
    checkpoint_as_json,
    held_checkpoints,
    latest_checkpoint,
    make_checkpoint,
    read_checkpoints,
    verify_trail,
)
from audits.jobs import AuditTrailBrokenError, audit_checkpoint, verify_audit_trail, verify_audit_trail_full
from audits.models import ChainHead, LogEntry
from core import signing
from core.jobs_registry import discover
from tests.audits.conftest import as_attacker, rewrite_from, write_entries

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=out, no_color=True)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def checkpoint_file() -> Path:
    return Path(settings.RAMPART_CHECKPOINT_FILE)


def head() -> ChainHead:
    return ChainHead.current()


# --- Making checkpoints -------------------------------------------------------------


def test_a_checkpoint_signs_the_head_and_is_appended_as_canonical_json() -> None:
    write_entries(3)
    checkpoint = make_checkpoint(reason="test")
    assert (checkpoint.sequence, checkpoint.entry_hash) == (head().sequence, head().last_hash)
    assert checkpoint.key_id == signing.current_key_id()
    line = checkpoint_file().read_text().splitlines()[-1]
    data = json.loads(line)
    assert set(data) == {"sequence", "entry_hash", "created_at", "key_id", "signature"}
    assert line == json.dumps(data, sort_keys=True, separators=(",", ":"))
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    public = signing.load_public_key(signing.public_key_pem())
    public.verify(base64.b64decode(data["signature"]), canonical_bytes(unsigned))  # raises if not
    assert checkpoint_as_json(checkpoint) == data
    write_entries(1)
    make_checkpoint(reason="test")
    assert len(checkpoint_file().read_text().splitlines()) == 2
    assert latest_checkpoint() == Checkpoint.from_line(checkpoint_file().read_text().splitlines()[-1])


def test_the_command_prints_the_checkpoint_and_writes_it_to_output(tmp_path: Path) -> None:
    write_entries(2)
    output = tmp_path / "mine.jsonl"
    code, out = run("audit_checkpoint", "--output", str(output))
    assert code == 0
    assert out.strip().startswith(f"Checkpoint #{head().sequence} sha256 {head().last_hash}")
    assert output.read_text() == checkpoint_file().read_text()
    run("audit_checkpoint", "--output", str(output))
    assert len(output.read_text().splitlines()) == 2


def test_no_checkpoint_is_signed_for_a_broken_trail() -> None:
    entries = write_entries(3)
    with as_attacker():
        LogEntry.objects.filter(pk=entries[1].pk).update(object_repr="forged")
    with pytest.raises(CheckpointRefusedError, match=f"BROKEN at entry #{entries[1].sequence}"):
        make_checkpoint(reason="test")
    assert not checkpoint_file().exists()
    code, out = run("audit_checkpoint")
    assert code == 1 and "No checkpoint signed" in out


def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next_checkpoint() -> None:
    write_entries(1)
    make_checkpoint(reason="test")
    with checkpoint_file().open("a") as handle:
        handle.write('{"created_at":"2026-')
    second = make_checkpoint(reason="test")
    found = held_checkpoints()
    assert found.checkpoints[-1].checkpoint == second
    assert len(found.problems) == 1 and "line 2: not a checkpoint" in found.problems[0]


# --- The rewrite a DBA could do --------------------------------------------------------


def test_a_rewrite_from_the_middle_passes_the_chain_check_but_contradicts_the_checkpoint(tmp_path: Path) -> None:
    entries = write_entries(10)
    code, _ = run("audit_checkpoint", "--output", str(tmp_path / "kept.jsonl"))
    assert code == 0
    taken = Checkpoint.from_line((tmp_path / "kept.jsonl").read_text())
    write_entries(3)
    victim = entries[4]

    rewrite_from(victim.sequence, object_repr="nothing happened here")

    assert LogEntry.objects.get(pk=victim.pk).object_repr == "nothing happened here"
    plain = verify_chain()
    assert plain.ok, "the re-hashed chain verifies on its own"
    code, out = run("verify_audit_trail", "--full", "--checkpoints", str(tmp_path / "kept.jsonl"))
    assert code == 1
    assert out.splitlines()[0] == f"OK: {LogEntry.objects.count()} entries verified"
    assert f"CONTRADICTED checkpoint #{taken.sequence} of {taken.created_at}" in out
    assert f"rewritten at or before #{taken.sequence}" in out
    # The checkpoints the system holds catch it too, without --checkpoints.
    code, out = run("verify_audit_trail")
    assert code == 1 and f"CONTRADICTED checkpoint #{taken.sequence}" in out


def test_the_contradiction_is_bounded_by_the_last_checkpoint_that_still_matches() -> None:
    entries = write_entries(4)
    early = make_checkpoint(reason="test")
    entries += write_entries(4)
    late = make_checkpoint(reason="test")
    rewrite_from(entries[5].sequence, changes={"name": ["old", "rewritten"]})
    report = verify_trail()
    assert not report.ok and report.chain.ok
    [contradicted] = report.contradicted
    assert contradicted.checkpoint == late
    assert f"after #{early.sequence}, which still matches" in contradicted.detail
    # Incremental from the checkpoint that still matches: the re-hashed entries after it verify.
    assert report.chain.anchor is not None and report.chain.anchor.sequence == early.sequence


def test_a_deleted_tail_contradicts_a_checkpoint_of_it() -> None:
    write_entries(5)
    taken = make_checkpoint(reason="test")
    with as_attacker():
        LogEntry.objects.filter(sequence__gte=taken.sequence - 1).delete()
        last = LogEntry.objects.order_by("-sequence").first()
        assert last is not None
        ChainHead.objects.filter(pk=1).update(sequence=last.sequence, last_hash=last.entry_hash)
    assert verify_chain().ok, "the shortened chain verifies on its own"
    report = verify_trail(full=True)
    assert [c.checkpoint for c in report.contradicted] == [taken]
    assert f"the chain head is at #{taken.sequence - 2}" in report.contradicted[0].detail


# --- Forged checkpoints -----------------------------------------------------------------


def forged_by_another_key(sequence: int, entry_hash: str) -> Checkpoint:
    key = Ed25519PrivateKey.generate()
    key_id = signing.key_id_of(key.public_key())
    draft = Checkpoint(sequence, entry_hash, "2026-01-01T00:00:00+00:00", key_id, "")
    return Checkpoint(**{**draft.__dict__, "signature": base64.b64encode(key.sign(draft.signed_bytes())).decode()})


def edited(checkpoint: Checkpoint, **changes: Any) -> Checkpoint:
    return Checkpoint(**{**checkpoint.__dict__, **changes})


def test_forged_checkpoints_are_refused(tmp_path: Path) -> None:
    write_entries(4)
    genuine = make_checkpoint(reason="test")
    previous = LogEntry.objects.get(sequence=genuine.sequence - 1)
    forgeries = {
        "another key": forged_by_another_key(genuine.sequence, genuine.entry_hash),
        "another key claiming ours": edited(
            forged_by_another_key(genuine.sequence, genuine.entry_hash), key_id=genuine.key_id
        ),
        "edited sequence": edited(genuine, sequence=previous.sequence),
        "edited hash": edited(genuine, entry_hash="f" * 64),
        "edited hash to the true earlier one": edited(
            genuine, sequence=previous.sequence, entry_hash=previous.entry_hash
        ),
    }
    for name, forged in forgeries.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_text(forged.as_line() + "\n")
        code, out = run("verify_audit_trail", "--checkpoints", str(path))
        assert code == 1, name
        assert f"REFUSED checkpoint #{forged.sequence}" in out and "signature does not verify" in out, name
        assert "1 refused" in out, name
    # The genuine one alone passes.
    (tmp_path / "genuine.jsonl").write_text(genuine.as_line() + "\n")
    code, out = run("verify_audit_trail", "--checkpoints", str(tmp_path / "genuine.jsonl"))
    assert code == 0, out


def test_the_daily_run_checks_the_anchor_signature_and_leaves_older_matching_ones_to_the_full_run() -> None:
    write_entries(2)
    old = make_checkpoint(reason="test")
    write_entries(2)
    make_checkpoint(reason="test")
    # A forged line that agrees with the trail, filed among the older checkpoints.
    forged = forged_by_another_key(old.sequence, old.entry_hash)
    lines = checkpoint_file().read_text().splitlines()
    checkpoint_file().write_text("\n".join([lines[0], forged.as_line(), lines[1]]) + "\n")

    daily = verify_trail()
    assert daily.ok, daily.summary()
    assert "(2 signatures of matching ones left to --full)" in daily.summary()
    assert daily.chain.anchor is not None and daily.chain.anchor.sequence == head().sequence
    full = verify_trail(full=True)
    assert not full.ok and [c.checkpoint for c in full.refused] == [forged]


def test_a_forged_newest_checkpoint_is_never_the_anchor() -> None:
    write_entries(2)
    genuine = make_checkpoint(reason="test")
    new = write_entries(3)
    forged = forged_by_another_key(new[-1].sequence, new[-1].entry_hash)
    with checkpoint_file().open("a") as handle:
        handle.write(forged.as_line() + "\n")
    report = verify_trail()
    assert [c.checkpoint for c in report.refused] == [forged]
    assert report.chain.anchor is not None and report.chain.anchor.sequence == genuine.sequence
    assert report.chain.count == 3 and not report.ok


def test_only_the_public_keys_given_are_trusted(tmp_path: Path) -> None:
    write_entries(2)
    genuine = make_checkpoint(reason="test")
    ours = tmp_path / "ours.pem"
    code, out = run("export_public_key")
    ours.write_text(out)
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "cp.jsonl").write_text(genuine.as_line() + "\n")
    assert run("verify_audit_trail", "--checkpoints", str(tmp_path / "cp.jsonl"), "--public-key", str(ours))[0] == 0
    code, out = run("verify_audit_trail", "--checkpoints", str(tmp_path / "cp.jsonl"), "--public-key", str(other))
    assert code == 1 and "REFUSED" in out and "not one this trail trusts" in out


def test_a_malformed_checkpoint_is_reported_and_fails(tmp_path: Path) -> None:
    write_entries(1)
    genuine = make_checkpoint(reason="test")
    extra = {**genuine.as_json(), "note": "unsigned words"}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(extra) + "\nnot json\n")
    code, out = run("verify_audit_trail", "--checkpoints", str(path))
    assert code == 1
    assert f"UNREADABLE {path} line 1: not a checkpoint (unexpected note)" in out
    assert f"UNREADABLE {path} line 2: not a checkpoint (not JSON)" in out
    code, out = run("verify_audit_trail", "--checkpoints", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such file" in out


def test_checkpoints_signed_before_a_key_rotation_still_verify() -> None:
    write_entries(2)
    before = make_checkpoint(reason="test")
    new_id = signing.rotate_signing_key()
    write_entries(1)
    after = make_checkpoint(reason="test")
    assert (before.key_id != new_id, after.key_id) == (True, new_id)
    report = verify_trail()
    assert report.ok, report.summary()
    assert len(report.checks) == 2


# --- Incremental verification ----------------------------------------------------------


def counting_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the rows the verifier really reads from the database (the real query still runs)."""
    read: list[int] = []
    real_rows = chain._rows

    def rows(first: int, last: int, batch_size: int) -> Any:
        for row in real_rows(first, last, batch_size):
            read.append(row[1])
            yield row

    monkeypatch.setattr(chain, "_rows", rows)
    return read


def test_incremental_verification_reads_only_the_entries_after_the_checkpoint(monkeypatch: Any) -> None:
    old = write_entries(20)
    taken = make_checkpoint(reason="test")
    new = write_entries(7)
    read = counting_rows(monkeypatch)

    report = verify_trail()

    assert report.ok, report.summary()
    assert read == [e.sequence for e in new]
    assert report.chain.count == 7
    assert report.chain.summary().startswith(f"OK: 7 entries verified (#{taken.sequence + 1} to #{new[-1].sequence}")
    read.clear()
    full = verify_trail(full=True)
    assert full.ok and full.chain.count == head().sequence
    assert read == list(range(1, head().sequence + 1))
    # What the incremental run does not read, it cannot see: an old entry edited without
    # re-hashing is left to the full verification (the weekly job).
    with as_attacker():
        LogEntry.objects.filter(pk=old[3].pk).update(object_repr="edited quietly")
    assert verify_trail().ok
    full = verify_trail(full=True)
    assert (full.chain.ok, full.chain.sequence, full.chain.reason) == (False, old[3].sequence, HASH_MISMATCH)


def test_incremental_verification_still_finds_a_break_after_the_checkpoint() -> None:
    write_entries(3)
    make_checkpoint(reason="test")
    new = write_entries(3)
    with as_attacker():
        LogEntry.objects.filter(pk=new[1].pk).update(object_repr="forged")
    report = verify_trail()
    assert not report.ok
    assert (report.chain.sequence, report.chain.reason) == (new[1].sequence, HASH_MISMATCH)


def test_the_first_entry_after_the_checkpoint_must_link_to_it() -> None:
    write_entries(3)
    taken = make_checkpoint(reason="test")
    new = write_entries(2)
    # Entry #taken itself rewritten and re-hashed onwards: the checkpoint is contradicted.
    rewrite_from(taken.sequence, object_repr="changed at the checkpoint")
    report = verify_trail()
    assert [c.checkpoint for c in report.contradicted] == [taken]
    assert new[0].sequence == taken.sequence + 1


# --- Checkpoints that travel: evidence packs and backup manifests --------------------------


def test_checkpoints_in_an_evidence_pack_and_a_backup_manifest_verify(tmp_path: Path) -> None:
    write_entries(3)
    for_pack = make_checkpoint(reason="evidence pack")
    write_entries(2)
    for_backup = make_checkpoint(reason="backup")
    manifest = {"format": "rampart-backup", "files": [], "audit_checkpoint": checkpoint_as_json(for_backup)}
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "manifest.json").write_text(json.dumps(manifest, indent=2))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"files": [], "audit_checkpoint": checkpoint_as_json(for_pack)}))
        archive.writestr("data/controls.json", json.dumps([{"id": 1}]))
    (tmp_path / "pack.zip").write_bytes(buffer.getvalue())
    os.remove(checkpoint_file())  # only what travelled with the pack and the backup

    for path, expected in ((tmp_path / "pack.zip", for_pack), (tmp_path / "backup" / "manifest.json", for_backup)):
        found = read_checkpoints(path)
        assert [s.checkpoint for s in found.checkpoints] == [expected] and not found.problems
        code, out = run("verify_audit_trail", "--checkpoints", str(path))
        assert code == 0, out
        assert "Checkpoints: 1 checked, 1 match, 0 contradicted, 0 refused" in out
    code, out = run("verify_audit_trail", "--checkpoints", str(tmp_path))  # the folder: both
    assert code == 0 and "2 checked, 2 match" in out

    rewrite_from(1, object_repr="rewritten from the start")
    code, out = run("verify_audit_trail", "--checkpoints", str(tmp_path))
    assert code == 1 and "2 contradicted" in out


def test_a_tampered_checkpoint_in_a_manifest_is_refused(tmp_path: Path) -> None:
    write_entries(2)
    taken = make_checkpoint(reason="backup")
    tampered = {**checkpoint_as_json(taken), "sequence": taken.sequence - 1}
    (tmp_path / "manifest.json").write_text(json.dumps({"audit_checkpoint": tampered}))
    code, out = run("verify_audit_trail", "--checkpoints", str(tmp_path / "manifest.json"))
    assert code == 1 and f"REFUSED checkpoint #{taken.sequence - 1}" in out


# --- A Django storage instead of a file ------------------------------------------------------


def test_checkpoints_can_live_in_a_django_storage(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "checkpoints": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "bucket")},
        },
    }
    settings.RAMPART_CHECKPOINT_STORAGE = "checkpoints"
    write_entries(2)
    first = make_checkpoint(reason="test")
    write_entries(1)
    second = make_checkpoint(reason="test")
    assert len(list((tmp_path / "bucket" / "audit-checkpoints").iterdir())) == 2
    assert [s.checkpoint for s in held_checkpoints().checkpoints] == [first, second]
    assert latest_checkpoint() == second
    assert not checkpoint_file().exists()
    rewrite_from(1, object_repr="rewritten")
    assert len(verify_trail().contradicted) == 2


# --- Scheduled jobs ----------------------------------------------------------------------------


def test_the_jobs_are_registered() -> None:
    jobs = discover()
    assert jobs["audits.audit_checkpoint"].func is audit_checkpoint
    assert jobs["audits.audit_checkpoint"].cron.split()[1] == "*", "hourly"
    assert jobs["audits.verify_audit_trail"].func is verify_audit_trail
    assert jobs["audits.verify_audit_trail_full"].func is verify_audit_trail_full


def test_the_hourly_job_signs_a_checkpoint_and_mails_it_only_when_asked(
    settings: Any, mailoutbox: list[Any], admin_alice: Any, officer_olga: Any
) -> None:
    settings.RAMPART_CHECKPOINT_EMAIL = False
    output = audit_checkpoint(None)
    assert output.startswith(f"Checkpoint #{head().sequence} sha256 {head().last_hash}")
    assert mailoutbox == []
    settings.RAMPART_CHECKPOINT_EMAIL = True
    write_entries(1)
    output = audit_checkpoint(None)
    assert "mailed to 1 Administrator" in output
    [mail] = mailoutbox
    assert mail.to == [admin_alice.email]
    line = checkpoint_file().read_text().splitlines()[-1]
    assert line in mail.body
    [(name, content, _)] = mail.attachments
    assert name == f"checkpoint-{head().sequence}.jsonl" and content.strip() == line


def test_the_daily_job_verifies_incrementally_and_fails_on_a_contradiction() -> None:
    write_entries(3)
    audit_checkpoint(None)
    write_entries(2)
    output = verify_audit_trail(None)
    assert output.startswith("OK: 2 entries verified")
    assert "Checkpoints: 1 checked, 1 match" in output
    assert f"head #{head().sequence} sha256 {head().last_hash}" in output
    rewrite_from(2, object_repr="rewritten")
    with pytest.raises(AuditTrailBrokenError, match="CONTRADICTED checkpoint"):
        verify_audit_trail(None)
    with pytest.raises(AuditTrailBrokenError, match="CONTRADICTED checkpoint"):
        verify_audit_trail_full(None)
    with pytest.raises(AuditTrailBrokenError, match="No checkpoint signed"):
        audit_checkpoint(None)
