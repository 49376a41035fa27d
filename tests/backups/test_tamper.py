"""A changed set is caught: a flipped byte, a truncated file, a swapped or edited manifest, a missing or
extra file; ``backup_verify`` says which and exits 1, and a restore refuses the set."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backups.age import X25519Identity
from backups.destinations import open_destination
from backups.models import BackupPlan, BackupSet
from backups.services.errors import BackupError
from backups.services.restore import locate_set, restore_set
from backups.services.runs import run_backup
from backups.services.verification import verify_files
from tests.backups.conftest import Backups

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def plan(recipient: Any) -> None:
    """Ad hoc sets (the database and the files): no plan, so no retention removes the earlier set of the day."""
    return None


def _backup(backups_env: Backups, plan: BackupPlan | None) -> tuple[str, Path]:
    backups_env.stored_file("uploads/contract.pdf", b"%PDF-1.7 " + bytes(range(256)) * 2000)
    backup_set = run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND)
    assert backup_set.verify_ok is True
    return backup_set.set_id, backups_env.set_dir(backup_set.set_id)


def _verify(set_id: str, identity: X25519Identity | None = None) -> list[str]:
    identities = [identity] if identity is not None else None
    return verify_files(open_destination(""), set_id, identities=identities).problems


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_untouched_set_verifies_fully(backups_env: Backups, plan: None) -> None:
    set_id, _ = _backup(backups_env, plan)
    assert _verify(set_id) == []
    assert _verify(set_id, backups_env.identity) == []


def test_a_flipped_byte_is_caught_by_the_hash_and_by_decryption(backups_env: Backups, plan: None) -> None:
    set_id, folder = _backup(backups_env, plan)
    archive = folder / "files.tar.zst.age"
    _flip(archive, archive.stat().st_size // 2)
    problems = _verify(set_id)
    assert len(problems) == 1 and "files.tar.zst.age: SHA-256" in problems[0] and "differs" in problems[0]
    with pytest.raises(BackupError, match="does not verify, nothing was restored"):
        restore_set(located=locate_set(set_id), identities=[backups_env.identity])
    assert not backups_env.restore_dir.exists()


def test_a_truncated_file_is_caught(backups_env: Backups, plan: None) -> None:
    set_id, folder = _backup(backups_env, plan)
    archive = folder / "files.tar.zst.age"
    size = archive.stat().st_size
    with archive.open("r+b") as handle:
        handle.truncate(size - 100)
    assert _verify(set_id) == [
        f"files.tar.zst.age has {size - 100} bytes, the manifest says {size} (truncated or grown)"
    ]


def test_a_manifest_swapped_in_from_another_set_is_caught(backups_env: Backups, plan: None) -> None:
    first, first_folder = _backup(backups_env, plan)
    second, second_folder = _backup(backups_env, plan)
    shutil.copyfile(second_folder / "manifest.json", first_folder / "manifest.json")
    problems = _verify(first)
    assert f"the manifest is the one of set '{second}', not of {first} (swapped)" in problems
    assert any("SHA-256" in p for p in problems)  # and the files are not the ones it lists


def test_an_edited_manifest_does_not_verify_its_signature(backups_env: Backups, plan: None) -> None:
    set_id, folder = _backup(backups_env, plan)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][0]["plaintext_size"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest))
    problems = _verify(set_id)
    assert "the manifest's signature does not verify (the manifest was changed after it was signed)" in problems


def test_a_missing_manifest_means_an_incomplete_set(backups_env: Backups, plan: None) -> None:
    set_id, folder = _backup(backups_env, plan)
    (folder / "manifest.json").unlink()
    assert _verify(set_id) == ["no manifest: the set is incomplete (its backup did not finish)"]


def test_an_added_file_is_caught(backups_env: Backups, plan: None) -> None:
    set_id, folder = _backup(backups_env, plan)
    (folder / "extra.age").write_bytes(b"x")
    assert _verify(set_id) == ["files not in the manifest: extra.age"]


def test_a_key_that_is_not_a_recipient_cannot_decrypt(backups_env: Backups, plan: None) -> None:
    set_id, _ = _backup(backups_env, plan)
    problems = _verify(set_id, X25519Identity.generate())
    assert len(problems) == 2  # the database and the archive
    refused = ".zst.age does not decrypt: no identity matches any recipient of this file"
    assert all(p.endswith(refused) for p in problems)


def test_backup_verify_reports_each_set_and_exits_1_on_a_bad_one(backups_env: Backups, plan: None) -> None:
    good, _ = _backup(backups_env, plan)
    bad, bad_folder = _backup(backups_env, plan)
    _flip(bad_folder / "files.tar.zst.age", 200)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 set"):
        call_command("backup_verify", "--identity", str(backups_env.identity_file), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"OK set {good} (full decryption)")
    assert lines[1].startswith(f"FAILED set {bad} (full decryption): files.tar.zst.age: SHA-256")
    assert BackupSet.objects.get(set_id=bad).verify_ok is False
    assert BackupSet.objects.get(set_id=good).verify_full is True
    out = StringIO()
    call_command("backup_verify", good, stdout=out)
    assert out.getvalue().startswith(f"OK set {good} (sizes, hashes and signature)")
