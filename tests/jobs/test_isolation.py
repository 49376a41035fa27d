"""Issue 10, item 3: one file cannot stop the scheduler.

The attack: a YAML framework of ``[`` x 100000, uploaded for import, crashed the
``runscheduler`` process with a segmentation fault (libyaml's composer recursing in C),
leaving the run "running" and every job stopped. Now:

- the import checks depth, number sizes and file size before parsing and refuses the file
  with a readable problem;
- an uploaded file is parsed in a child process with memory and time limits, so even a crash
  of the parser is recorded as that run's failure, with a readable message, and the scheduler
  (here: the test process) goes on with the next run;
- no error shown to users or returned by the API holds a traceback or a server path.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.urls import reverse

from core.jobs_registry import task
from governance.importers import FrameworkImportError
from governance.models import Framework
from jobs import scheduler
from jobs.isolation import Limits, call_isolated
from jobs.models import JobRun
from jobs.tasks import TaskError
from tests.jobs.conftest import JobsUnderTest

pytestmark = pytest.mark.django_db

GOOD_YAML = b"""framework:
  key: isolated-ok
  name: Isolated OK
  version: "1"
requirements:
  - ref_id: R1
    title: One
"""
SMALL = Limits(memory_bytes=768 * 1024**2, cpu_seconds=20, wall_seconds=30)


def _readable(message: str) -> None:
    assert message
    assert "Traceback" not in message
    assert "/work/" not in message and ".py" not in message, message
    assert str(os.getcwd()) not in message


# --- the mechanism ---


def test_the_child_returns_the_result() -> None:
    parsed = call_isolated("governance.importers:parse_framework", GOOD_YAML, filename="ok.yaml")
    assert parsed.meta.key == "isolated-ok"
    assert [node.ref_id for node in parsed.nodes] == ["R1"]


def test_the_childs_exception_comes_back_whole() -> None:
    with pytest.raises(FrameworkImportError) as caught:
        call_isolated("governance.importers:parse_framework", b"framework: [", filename="bad.yaml")
    assert caught.value.issues and "not valid YAML" in caught.value.issues[0].message


def test_a_segmentation_fault_in_the_child_is_a_readable_error_and_the_caller_goes_on() -> None:
    with pytest.raises(TaskError) as caught:
        call_isolated("ctypes:string_at", 0, limits=SMALL)  # reads address 0: SIGSEGV
    assert "crashed (SIGSEGV)" in caught.value.message
    _readable(caught.value.message)
    assert call_isolated("builtins:sum", [1, 2, 3]) == 6  # and we are still here


def test_the_memory_limit_holds() -> None:
    with pytest.raises(TaskError) as caught:
        call_isolated("builtins:bytearray", 4 * 1024**3, limits=SMALL)
    assert "memory" in caught.value.message
    _readable(caught.value.message)


def test_the_time_limit_holds() -> None:
    limits = Limits(memory_bytes=SMALL.memory_bytes, cpu_seconds=20, wall_seconds=2)
    with pytest.raises(TaskError) as caught:
        call_isolated("time:sleep", 30, limits=limits)
    assert "longer than 2 seconds" in caught.value.message


def test_libyaml_really_crashes_on_this_file_so_the_isolation_is_needed() -> None:
    """Without the depth check, the parser itself dies on the file of the issue: in the child."""
    import yaml

    with pytest.raises(TaskError) as caught:
        call_isolated("yaml:compose", "[" * 100_000, Loader=yaml.CSafeLoader, limits=SMALL)
    assert "crashed" in caught.value.message


# --- through the scheduler, as an upload ---


def _queue(client: Any, name: str, data: bytes) -> JobRun:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("governance:framework_import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.status_code
    return JobRun.objects.filter(job_id="governance.import_framework").latest("pk")


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("deep.yaml", b"[" * 100_000, "nested deeper than"),
        ("deep-blocks.yaml", b"- " * 50_000 + b"x\n", "nested deeper than"),
        ("number.yaml", b"framework: " + b"9" * 5000 + b"\n", "a number longer than"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested deeper than"),
        ("number.json", b'{"catalog": {"n": ' + b"9" * 5000 + b"}}", "a number longer than"),
    ],
)
def test_a_hostile_upload_fails_its_run_readably_and_the_next_import_runs(
    personas: Any, name: str, data: bytes, problem: str
) -> None:
    client = personas.client("officer_olga")
    hostile = _queue(client, name, data)
    good = _queue(client, "good.yaml", GOOD_YAML)

    scheduler.run_once()

    hostile.refresh_from_db()
    assert hostile.status == JobRun.Status.FAILED
    assert problem in hostile.error
    _readable(hostile.error)
    assert hostile.result["issues"], "the problem is listed for the progress page"
    good.refresh_from_db()
    assert good.status == JobRun.Status.SUCCEEDED
    assert Framework.objects.filter(key="isolated-ok").exists()
    page = client.get(reverse("jobs:task_progress", args=[hostile.pk])).content.decode()
    assert problem in page and "Traceback" not in page


def test_a_task_whose_isolated_work_crashes_fails_and_the_scheduler_runs_the_next(
    jobs_under_test: JobsUnderTest,
) -> None:
    @task("test.crash", description="Parses something hostile.", perm="access.run_jobs")
    def crash(run: Any) -> str:
        return str(call_isolated("ctypes:string_at", 0, limits=SMALL))

    crashed = JobRun.objects.create(job_id="test.crash", trigger=JobRun.Trigger.TASK, status=JobRun.Status.QUEUED)
    after = JobRun.objects.create(job_id="test.echo", trigger=JobRun.Trigger.MANUAL, status=JobRun.Status.QUEUED)

    runs = scheduler.run_once().runs

    assert [r.pk for r in runs] == [crashed.pk, after.pk]
    crashed.refresh_from_db()
    after.refresh_from_db()
    assert crashed.status == JobRun.Status.FAILED
    assert "crashed (SIGSEGV)" in crashed.error
    _readable(crashed.error)
    assert after.status == JobRun.Status.SUCCEEDED
    assert jobs_under_test.calls == [after.pk]
