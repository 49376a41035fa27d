"""Framework imports are queued: the upload page keeps the file, the scheduler imports it,
the progress page follows the run and shows the report or every problem of the file."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from auditlog import get_logentry_model
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from access.models import User
from governance.models import Framework, Requirement
from governance.services import framework_imports
from governance.services.frameworks import import_framework
from jobs import leases, scheduler
from jobs.models import JobRun
from jobs.tasks import report_progress
from tests.conftest import Personas
from tests.governance.frameworks.files import YAML_V1, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db

BAD_YAML = b"framework: {key: bad, name: Bad}\nrequirements:\n  - {ref_id: A, title: ''}\n  - {ref_id: A, title: B}\n"


def _kept_files() -> list[Path]:
    folder = Path(settings.TASK_FILES_DIR)
    return sorted(folder.iterdir()) if folder.exists() else []


def _upload(client: Any, name: str, data: bytes, **extra: str) -> Any:
    return client.post(reverse("governance:framework_import"), {"file": SimpleUploadedFile(name, data), **extra})


def _queued(response: Any) -> JobRun:
    assert response.status_code == 302, response.content[:2000]
    run = JobRun.objects.get()
    assert response["Location"] == reverse("jobs:task_progress", kwargs={"run_id": run.pk})
    return run


def test_upload_queues_the_import_and_the_scheduler_runs_it(personas: Personas) -> None:
    client = personas.client("officer_olga")
    before = set(_kept_files())
    run = _queued(_upload(client, "baseline.yaml", YAML_V1.encode()))

    # Queued: nothing imported yet, the file kept privately under the task-files folder.
    assert run.status == JobRun.Status.QUEUED
    assert run.job_id == "governance.import_framework"
    assert run.trigger == JobRun.Trigger.TASK
    assert run.requested_by == personas["officer_olga"]
    kept = set(_kept_files()) - before
    assert len(kept) == 1 and next(iter(kept)).read_bytes() == YAML_V1.encode()
    assert not Framework.objects.exists()
    page = client.get(reverse("jobs:task_progress", kwargs={"run_id": run.pk}))
    assert page.status_code == 200
    assert b"Framework import" in page.content and b"Queued" in page.content
    assert b'hx-trigger="every 1s"' in page.content

    scheduler.run_once()

    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    framework = Framework.objects.get(key="test-baseline")
    assert Requirement.objects.filter(framework=framework).count() == 6
    assert not (kept & set(_kept_files())), "the kept file is deleted after the run"
    assert (run.progress_phase, run.progress_done, run.progress_total) == ("Done", 6, 6)
    assert run.progress_at is not None
    assert run.result["report"]["created"] == 6
    assert (
        run.output == "Imported Test baseline 1.0 (test-baseline): 4 requirements in 2 sections. "
        "Entries (requirements and sections): 6 created, 0 updated, 0 unchanged, 0 removed, 0 restored."
    )

    panel = client.get(reverse("jobs:task_progress_status", kwargs={"run_id": run.pk})).content.decode()
    assert "Imported Test baseline 1.0 (test-baseline)" in panel
    assert "6 created" in panel and "0 removed" in panel
    assert "Test baseline now has 4 requirements in 2 sections" in panel
    assert reverse("governance:framework_detail", args=[framework.pk]) in panel
    assert "hx-trigger" not in panel, "a finished run's panel stops polling"


def test_the_audit_trail_names_the_person_who_queued_the_import(personas: Personas) -> None:
    run = _queued(_upload(personas.client("officer_olga"), "baseline.yaml", YAML_V1.encode()))
    scheduler.run_once()

    framework = Framework.objects.get(key="test-baseline")
    entry = get_logentry_model().objects.filter(object_pk=str(framework.pk)).order_by("-sequence").first()
    assert entry is not None
    assert entry.actor == personas["officer_olga"]
    assert entry.additional_data["via"] == "job:governance.import_framework"
    assert entry.additional_data["run_id"] == run.pk
    assert entry.additional_data["import"]["created"] == 6
    assert framework.imported_by == personas["officer_olga"]


def test_a_bad_file_fails_the_run_with_every_problem_and_writes_nothing(personas: Personas) -> None:
    client = personas.client("officer_olga")
    run = _queued(_upload(client, "bad.yaml", BAD_YAML))

    scheduler.run_once()

    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    assert run.error.startswith("The file was not imported: line 3, field 'title': the title is missing")
    assert {"location": "line 3", "field": "title", "message": "the title is missing"} in run.result["issues"]
    assert not Framework.objects.exists() and not Requirement.objects.exists()
    assert _kept_files() == [], "the kept file is deleted after a failed run too"
    page = client.get(reverse("jobs:task_progress", kwargs={"run_id": run.pk})).content.decode()
    assert "The file was not imported; nothing was changed." in page
    assert "line 3" in page and "the title is missing" in page
    assert "duplicate identifier" in page
    assert reverse("governance:framework_import") in page


def test_garbage_with_a_known_extension_fails_the_run_readably(personas: Personas) -> None:
    client = personas.client("officer_olga")
    run = _queued(_upload(client, "garbage.json", b"{not json"))
    scheduler.run_once()
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    assert "was not imported" in run.error and "Traceback" not in run.error
    assert b"nothing was changed" in client.get(reverse("jobs:task_progress", kwargs={"run_id": run.pk})).content


@pytest.mark.parametrize(
    ("name", "data", "extra", "field", "message"),
    [
        ("empty.yaml", b"", {}, "file", "empty"),
        ("picture.png", b"\x89PNG\x00\x00binary", {}, "file", "does not say its format"),
        ("baseline.yaml", YAML_V1.encode(), {"fmt": "xml"}, "fmt", "Select a valid choice"),
        ("big.yaml", b"x" * 2048, {}, "file", "larger than"),
    ],
)
def test_the_request_refuses_unusable_uploads_and_queues_nothing(
    personas: Personas, monkeypatch: pytest.MonkeyPatch, name: str, data: bytes, extra: Any, field: str, message: str
) -> None:
    monkeypatch.setattr(framework_imports, "MAX_FILE_BYTES", 1024)
    response = _upload(personas.client("officer_olga"), name, data, **extra)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not JobRun.objects.exists()
    assert _kept_files() == []


def test_an_explicit_format_makes_any_file_name_acceptable(personas: Personas) -> None:
    run = _queued(_upload(personas.client("officer_olga"), "catalog.txt", oscal_bytes(oscal_catalog()), fmt="oscal"))
    scheduler.run_once()
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert Framework.objects.get().source == Framework.Source.OSCAL


def test_a_running_import_shows_its_phase_and_counts(personas: Personas) -> None:
    client = personas.client("officer_olga")
    run = _queued(_upload(client, "baseline.yaml", YAML_V1.encode()))
    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.RUNNING, started_at=timezone.now())
    report_progress(run, "Writing 6 requirements in one transaction (all or nothing)", done=3, total=6)

    panel = client.get(reverse("jobs:task_progress_status", kwargs={"run_id": run.pk})).content.decode()
    assert "Writing 6 requirements in one transaction" in panel
    assert "3 of 6" in panel
    assert '<progress class="w-100" max="6" value="3"' in panel
    assert 'hx-trigger="every 1s"' in panel


def test_a_run_left_in_the_queue_says_the_scheduler_is_not_running(personas: Personas) -> None:
    client = personas.client("officer_olga")
    run = _queued(_upload(client, "baseline.yaml", YAML_V1.encode()))
    url = reverse("jobs:task_progress_status", kwargs={"run_id": run.pk})
    assert b"scheduler is not running" not in client.get(url).content, "not in the first seconds"

    with time_machine.travel(timezone.now() + timedelta(seconds=10)):
        assert b"scheduler is not running" in client.get(url).content
        assert b"manage.py runscheduler" in client.get(url).content
        leases.beat()  # a scheduler polled: the run simply waits for it
        assert b"scheduler is not running" not in client.get(url).content
        assert b"Waiting for the scheduler" in client.get(url).content


@pytest.mark.parametrize(("persona", "status"), [("it_ivan", 200), ("owner_omar", 404), ("employee_emil", 404)])
def test_only_the_requester_and_run_readers_see_a_progress_page(personas: Personas, persona: str, status: int) -> None:
    run = _queued(_upload(personas.client("officer_olga"), "baseline.yaml", YAML_V1.encode()))
    for name in ("jobs:task_progress", "jobs:task_progress_status"):
        response = personas.client(persona).get(reverse(name, kwargs={"run_id": run.pk}))
        assert response.status_code == status, name


def test_progress_is_reported_around_the_one_write_transaction(officer_olga: User) -> None:
    """Every phase is reported outside the import's transaction (so other sessions see it)."""
    heard: list[tuple[str, int | None, int | None, int]] = []
    depth = len(connection.savepoint_ids)

    def progress(phase: str, *, done: int | None = None, total: int | None = None) -> None:
        heard.append((phase, done, total, len(connection.savepoint_ids)))

    import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml", progress=progress)

    assert [h[:3] for h in heard] == [
        ("Reading and validating baseline.yaml (1 KB)", None, None),
        ("6 requirements validated", 6, 6),
        ("Writing 6 requirements in one transaction (all or nothing)", None, None),
    ]
    assert all(h[3] == depth for h in heard), "no phase is reported inside the write transaction"


def test_a_kept_file_that_is_gone_fails_the_run_readably(personas: Personas) -> None:
    run = _queued(_upload(personas.client("officer_olga"), "baseline.yaml", YAML_V1.encode()))
    for path in _kept_files():
        path.unlink()
    scheduler.run_once()
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED
    assert "no longer there" in run.error
    assert not Framework.objects.exists()


def test_stale_uploads_are_cleared_but_not_those_a_run_will_read(
    officer_olga: User, settings: Any, tmp_path: Path
) -> None:
    settings.TASK_FILES_DIR = str(tmp_path)
    waiting = framework_imports.queue_framework_import(
        actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml"
    )
    waiting_file = framework_imports.kept_upload(waiting.params)
    orphan_old = tmp_path / "framework-orphan-old.yaml"
    orphan_new = tmp_path / "framework-orphan-new.yaml"
    unrelated = tmp_path / "notes.txt"
    for path in (orphan_old, orphan_new, unrelated):
        path.write_bytes(b"x")
    a_day_ago = time.time() - 24 * 3600
    for path in (waiting_file, orphan_old, unrelated):
        os.utime(path, (a_day_ago, a_day_ago))
    assert framework_imports.clear_stale_uploads() == 1
    assert not orphan_old.exists()
    assert waiting_file.exists(), "a queued run still needs its file"
    assert orphan_new.exists(), "a fresh file may belong to an upload being queued now"
    assert unrelated.exists(), "only kept uploads are touched"
    JobRun.objects.filter(pk=waiting.pk).update(status=JobRun.Status.FAILED)
    assert framework_imports.clear_stale_uploads() == 1
    assert not waiting_file.exists()
