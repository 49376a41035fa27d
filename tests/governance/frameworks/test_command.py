"""``manage.py import_framework`` and ``load_library``: reports, errors and exit codes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from auditlog import get_logentry_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from access.models import User
from governance.management.commands.import_framework import Command as ImportCommand
from governance.management.commands.load_library import Command as LibraryCommand
from governance.models import Framework, Requirement
from tests.governance.frameworks.files import YAML_V1, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db


def _run(command: BaseCommand, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command; the exit code is what manage.py exits with (``CommandError.returncode``).

    ``run_from_argv`` itself would close the database connections, which ends the test's transaction.
    """
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(command, *argv, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue(), err.getvalue()


def test_import_prints_the_report_and_names_the_actor(
    tmp_path: Path, officer_olga: User, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(YAML_V1)
    code, out, _ = _run(ImportCommand(), str(path), "--actor", officer_olga.email, capsys=capsys)
    assert code == 0
    assert "Imported Test baseline 1.0 (test-baseline): 4 requirements in 2 sections." in out
    assert "Entries (requirements and sections): 6 created, 0 updated, 0 unchanged, 0 removed" in out
    framework = Framework.objects.get(key="test-baseline")
    entry = get_logentry_model().objects.filter(object_pk=str(framework.pk)).order_by("-sequence").first()
    assert entry is not None
    assert entry.actor == officer_olga
    assert entry.additional_data["via"] == "command:import_framework"
    assert entry.additional_data["import"]["created"] == 6


def test_oscal_with_format_and_key(tmp_path: Path, officer_olga: User, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "catalog.txt"
    path.write_bytes(oscal_bytes(oscal_catalog()))
    args = [str(path), "--actor", officer_olga.email, "--format", "oscal", "--key", "my-catalog"]
    code, _, _ = _run(ImportCommand(), *args, capsys=capsys)
    assert code == 0
    assert Framework.objects.get(key="my-catalog").source == Framework.Source.OSCAL


def test_bad_file_prints_every_error_and_exits_1(
    tmp_path: Path, officer_olga: User, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("framework: {name: X}\nrequirements:\n  - {ref_id: A, title: ''}\n")
    code, _, err = _run(ImportCommand(), str(path), "--actor", officer_olga.email, capsys=capsys)
    assert code == 1
    assert "bad.yaml: line 1, field 'key': the framework key is missing" in err
    assert "bad.yaml: line 3, field 'title': the title is missing" in err
    assert "nothing was changed" in err
    assert not Framework.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["missing.yaml", "--actor", "officer_olga@example.test"],  # unreadable file
        ["baseline.yaml", "--actor", "nobody@example.test"],  # unknown actor
        ["baseline.yaml", "--actor", "employee_emil@example.test"],  # not allowed to import
        ["--actor", "officer_olga@example.test"],  # neither a path nor --library
    ],
)
def test_other_failures_exit_1(
    tmp_path: Path, personas: object, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: object
) -> None:
    (tmp_path / "baseline.yaml").write_text(YAML_V1)
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    code, _, err = _run(ImportCommand(), *args, capsys=capsys)
    assert code == 1
    assert err.strip()
    assert not Framework.objects.exists()


def test_library_imports_the_backoffice_baseline(officer_olga: User, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(LibraryCommand(), "--actor", officer_olga.email, capsys=capsys)
    assert code == 0
    framework = Framework.objects.get(key="rampart-backoffice-baseline")
    assert framework.version == "1.0"
    requirements = Requirement.objects.filter(framework=framework, is_section=False)
    assert 30 <= requirements.count() <= 45
    sections = set(Requirement.objects.filter(framework=framework, is_section=True).values_list("title", flat=True))
    assert {"Restricted access", "Backups", "Patching and vulnerabilities", "Logging and monitoring"} <= sections
    assert {"Incident response", "Policies", "Supplier and third-party access"} <= sections
    assert not requirements.filter(text="").exists()
    assert "Back-office security baseline" in out
    # Running it again changes nothing.
    code, out, _ = _run(ImportCommand(), "--library", "--actor", officer_olga.email, capsys=capsys)
    assert code == 0
    assert "0 created, 0 updated" in out
