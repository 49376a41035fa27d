"""The data migration copies control-test evidence (files and references) into Evidence."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from governance.models import Control, ControlTest


def test_control_test_evidence_moves_into_evidence(
    back_to_latest_migrations: None, settings: Any, tmp_path: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    executor = MigrationExecutor(connection)
    executor.migrate([("audits", "0005_evidence_engagements")])
    control = Control.objects.create(ref="CTL-M", title="Migrated")
    with_file = ControlTest.objects.create(control=control, due_date=timezone.localdate())
    with_file.evidence_file.save("minutes.txt", ContentFile(b"signed minutes"))
    ControlTest.objects.create(control=control, due_date=timezone.localdate(), evidence_reference="https://wiki/x")
    ControlTest.objects.create(control=control, due_date=timezone.localdate(), evidence_reference="Binder 4, shelf 2")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("audits", "0006_control_test_evidence")])

    from audits.models import Evidence

    by_kind = {e.kind: e for e in Evidence.objects.all()}
    assert set(by_kind) == {"file", "link", "note"}
    assert by_kind["file"].sha256 == hashlib.sha256(b"signed minutes").hexdigest()
    assert by_kind["file"].size == len(b"signed minutes")
    assert by_kind["file"].file.storage.open(by_kind["file"].file.name).read() == b"signed minutes"
    assert list(by_kind["file"].control_tests.all()) == [with_file]
    assert by_kind["link"].url == "https://wiki/x"
    assert by_kind["note"].note == "Binder 4, shelf 2"
