from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from access.models import User
from governance.models import Framework
from governance.services.frameworks import import_framework
from tests.governance.frameworks.files import YAML_V1


@pytest.fixture(autouse=True)
def task_files(settings: Any, tmp_path: Path) -> Path:
    """Each test keeps queued uploads in a folder of its own."""
    settings.TASK_FILES_DIR = str(tmp_path / "task-files")
    return tmp_path / "task-files"


@pytest.fixture
def baseline(officer_olga: User) -> Framework:
    """The test baseline (YAML version 1) imported by the compliance officer."""
    return import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml").framework


@pytest.fixture
def many_requirements(officer_olga: User) -> Any:
    """Make a framework with ``n`` requirements (for query counts)."""

    def make(n: int) -> Framework:
        lines = ["framework:", "  key: many", "  name: Many", "requirements:"]
        for i in range(n):
            lines += [f"  - ref_id: R-{i:03d}", f"    title: Requirement {i}", f"    text: Text {i}"]
        data = "\n".join(lines).encode()
        return import_framework(actor=officer_olga, data=data, filename="many.yaml").framework

    return make
