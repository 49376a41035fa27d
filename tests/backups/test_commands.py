"""The command-line contract: ``backup_recipient``, ``backup_now`` refusals, ``backup_prune``; and the demo seeder."""

from __future__ import annotations

import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backups.age import X25519Identity, load_identities
from backups.models import BackupPlan, BackupRecipient
from backups.seed import PLAN, RECIPIENT, seed_backups
from core.seeding import SeedContext

pytestmark = pytest.mark.django_db


def _call(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_backup_recipient_add_list_remove() -> None:
    key = str(X25519Identity.generate().recipient)
    assert _call("backup_recipient", "add", "laptop", key) == f"Added recipient laptop: {key}\n"
    assert _call("backup_recipient", "list") == f"laptop\t{key}\tactive\n"
    with pytest.raises(CommandError, match="name: Backup recipient with this Name already exists"):
        _call("backup_recipient", "add", "laptop", str(X25519Identity.generate().recipient))
    with pytest.raises(CommandError, match="public_key: This is not an age public key"):
        _call("backup_recipient", "add", "other", "age1notakey")
    assert _call("backup_recipient", "remove", "laptop") == "Removed recipient laptop.\n"
    with pytest.raises(CommandError, match="There is no recipient named 'laptop'"):
        _call("backup_recipient", "remove", "laptop")
    assert not BackupRecipient.objects.exists()


def test_backup_now_refuses_an_unknown_plan_and_a_backup_without_recipient(backups_env: Any) -> None:
    BackupPlan.objects.create(name="Nightly")
    with pytest.raises(CommandError, match=r"no backup plan named 'Weekly' \(plans: Nightly\)"):
        _call("backup_now", "Weekly")
    with pytest.raises(CommandError, match="There is no active recipient"):
        _call("backup_now", "Nightly")


def test_backup_prune_dry_run_of_an_empty_destination(backups_env: Any) -> None:
    BackupPlan.objects.create(name="Nightly")
    assert _call("backup_prune", "--dry-run") == "Plan Nightly: 0 complete set(s); keep 0, would delete 0\n"


def test_the_demo_seeder_stores_only_the_public_key_and_runs_twice(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    context = SeedContext(write=lambda text: None)
    seed_backups(context)
    seed_backups(context)
    path = tmp_path / "demo-backup-identity.txt"
    [identity] = load_identities(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    recipient = BackupRecipient.objects.get(name=RECIPIENT)
    assert recipient.public_key == str(identity.recipient)
    assert list(BackupPlan.objects.get(name=PLAN).recipients.all()) == [recipient]
    assert context.created["backup recipients"] == 1 and context.created["backup plans"] == 1
