"""Copy the evidence of control tests (a file or a reference) into Evidence, linked to the test.

Files are copied from the default storage into the evidence storage and hashed on the way;
references that are web addresses become links, others notes. The originals are left in
place (governance still holds the fields); running the copy twice adds nothing twice.
"""

import hashlib
import uuid

from django.core.files import File
from django.core.files.storage import storages
from django.db import migrations


class _HashingFile(File):
    """Hashes and counts what the storage reads through ``chunks()``."""

    def __init__(self, handle, name):
        super().__init__(handle, name)
        self.digest = hashlib.sha256()
        self.written = 0

    def chunks(self, chunk_size=None):
        for chunk in iter(lambda: self.file.read(1 << 20), b""):
            self.digest.update(chunk)
            self.written += len(chunk)
            yield chunk


def _copy(source_name, target_storage):
    target = f"migrated/{uuid.uuid4().hex}"
    with storages["default"].open(source_name, "rb") as handle:
        hashing = _HashingFile(handle, target)
        stored = target_storage.save(target, hashing)
    return stored, hashing.written, hashing.digest.hexdigest()


def forwards(apps, schema_editor):
    ControlTest = apps.get_model("governance", "ControlTest")
    Evidence = apps.get_model("audits", "Evidence")
    target_storage = storages["evidence"]
    tests = ControlTest.objects.select_related("control").exclude(evidence_reference="", evidence_file="")
    for test in tests.iterator():
        if Evidence.objects.filter(control_tests=test, description__startswith="Moved from control test").exists():
            continue
        title = f"Test of {test.control.ref} due {test.due_date}"
        common = {
            "description": f"Moved from control test #{test.pk}.",
            "collected_on": test.performed_on or test.due_date,
            "owner_id": test.tester_id or test.control.owner_id,
            "created_by_id": test.tester_id,
        }
        made = []
        if test.evidence_file:
            try:
                stored, size, sha = _copy(test.evidence_file.name, target_storage)
            except FileNotFoundError:
                made.append(
                    Evidence.objects.create(
                        title=title, kind="note", note=f"The file {test.evidence_file.name} was missing.", **common
                    )
                )
            else:
                made.append(
                    Evidence.objects.create(
                        title=title,
                        kind="file",
                        file=stored,
                        filename=test.evidence_file.name.rsplit("/", 1)[-1][:255],
                        content_type="application/octet-stream",
                        size=size,
                        sha256=sha,
                        **common,
                    )
                )
        reference = (test.evidence_reference or "").strip()
        if reference:
            if reference.startswith(("http://", "https://")):
                made.append(Evidence.objects.create(title=title, kind="link", url=reference[:1000], **common))
            else:
                made.append(Evidence.objects.create(title=title, kind="note", note=reference, **common))
        for evidence in made:
            evidence.control_tests.add(test)
            evidence.controls.add(test.control_id)


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0005_evidence_engagements"),
        ("governance", "0008_own_permissions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
