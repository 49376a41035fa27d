"""``manage.py import_framework PATH`` and ``manage.py load_library`` run as written, without ``--actor``.

The import is then recorded in the audit trail as made from the command line, naming the
command and the operating-system user, like the other management commands; with
``--actor`` it is still made by that person, whose permissions are checked.
"""

from __future__ import annotations

import getpass
import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from audits.display import actor_label
from audits.models import LogEntry
from governance.models import Framework
from tests.governance.frameworks.files import YAML_V1

pytestmark = pytest.mark.django_db


def _import_entry(framework: Framework) -> LogEntry:
    content_type = ContentType.objects.get_for_model(Framework)
    return LogEntry.objects.filter(content_type=content_type, object_pk=str(framework.pk)).latest("sequence")


def test_import_framework_path_runs_as_written(tmp_path: Path, db: Any) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(YAML_V1)
    out = io.StringIO()
    call_command("import_framework", str(path), stdout=out)
    assert "4 requirements in 2 sections" in out.getvalue()
    framework = Framework.objects.get(key="test-baseline")
    assert framework.imported_by is None
    entry = _import_entry(framework)
    assert entry.actor_id is None
    assert entry.additional_data["via"] == "command:import_framework"
    assert entry.additional_data["os_user"] == getpass.getuser()
    assert actor_label(entry) == f"command line (import_framework, operating-system user {getpass.getuser()})"


def test_load_library_runs_as_written(db: Any) -> None:
    out = io.StringIO()
    call_command("load_library", stdout=out)
    framework = Framework.objects.get(key="rampart-backoffice-baseline")
    assert "requirements in" in out.getvalue()
    assert _import_entry(framework).additional_data["via"] == "command:load_library"


def test_with_an_actor_the_import_is_still_theirs(tmp_path: Path, personas: Any) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(YAML_V1)
    olga = personas["officer_olga"]
    call_command("import_framework", str(path), "--actor", olga.email, stdout=io.StringIO())
    framework = Framework.objects.get(key="test-baseline")
    assert framework.imported_by == olga and _import_entry(framework).actor == olga
