"""A plan whose destination is an S3-compatible storage (django-storages' S3Storage), against moto's
server mode running on 127.0.0.1: backup, verification, tampering caught, restore, retention."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine

from backups.destinations import open_destination
from backups.models import BackupPlan, BackupSet
from backups.services.restore import RestoreReport, locate_set, restore_set
from backups.services.retention import apply_retention
from backups.services.runs import run_backup
from backups.services.verification import verify_files
from tests.backups.conftest import Backups

pytestmark = pytest.mark.django_db(transaction=True)

BUCKET = "rampart-backups"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(moto_endpoint: str, backups_env: Backups, settings: Any) -> Any:
    client = boto3.client("s3", endpoint_url=moto_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "backups-s3": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": moto_endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "file_overwrite": True,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client: Any) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_a_plan_backs_up_to_s3_and_restores_from_it(
    s3: Any, backups_env: Backups, recipient: Any, restores: list[RestoreReport]
) -> None:
    backups_env.stored_file("uploads/invoice.pdf", b"%PDF invoice " * 1000)
    plan = BackupPlan.objects.create(name="Offsite", destination="backups-s3")
    plan.full_clean()
    backup_set = run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND)
    assert backup_set.verify_ok is True, backup_set.verify_detail
    assert backup_set.location == f"backups-s3:{backup_set.set_id}/"
    names = {entry["name"] for entry in backup_set.files} | {"manifest.json"}
    assert _keys(s3) == {f"{backup_set.set_id}/{name}" for name in names}
    assert not backups_env.backup_dir.exists()  # nothing went to the local folder
    assert list((backups_env.root / "work").glob("spool-*")) == []  # the spooled ciphertext is gone

    destination = open_destination("backups-s3")
    assert verify_files(destination, backup_set.set_id, identities=[backups_env.identity]).ok

    report = restore_set(located=locate_set(backup_set.set_id), identities=[backups_env.identity])
    restores.append(report)
    assert report.files_dir is not None
    assert (report.files_dir / "default/uploads/invoice.pdf").read_bytes() == b"%PDF invoice " * 1000
    assert report.snapshot is not None and report.snapshot.row_counts == report.manifest["database"]["row_counts"]


def test_a_changed_object_in_s3_is_caught(s3: Any, backups_env: Backups, recipient: Any) -> None:
    backups_env.stored_file("a.txt", b"a" * 5000)
    plan = BackupPlan.objects.create(name="Offsite", what=BackupPlan.What.FILES, destination="backups-s3")
    backup_set = run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.COMMAND)
    key = f"{backup_set.set_id}/files.tar.zst.age"
    data = bytearray(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    data[-20] ^= 0xFF
    s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(data))
    problems = verify_files(open_destination("backups-s3"), backup_set.set_id).problems
    assert len(problems) == 1 and problems[0].startswith("files.tar.zst.age: SHA-256")


def test_retention_deletes_old_sets_from_s3(s3: Any, backups_env: Backups, recipient: Any) -> None:
    backups_env.stored_file("a.txt", b"a")
    start = datetime(2026, 10, 1, 2, 30, tzinfo=UTC)
    plan = BackupPlan.objects.create(
        name="Offsite",
        what=BackupPlan.What.FILES,
        destination="backups-s3",
        keep_daily=2,
        keep_weekly=0,
        keep_monthly=0,
    )
    made = []
    for day in range(4):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            made.append(run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.SCHEDULE).set_id)
    assert {key.split("/")[0] for key in _keys(s3)} == set(made[-2:])  # retention ran after each backup
    with time_machine.travel(start + timedelta(days=5), tick=False):
        report = apply_retention(plan=plan, actor=None, dry_run=True)
    assert sorted(report.decision.keep) == sorted(made[-2:]) and report.decision.delete == []
