"""The house's import directions (pyproject's import-linter contracts) hold, and break when crossed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", *settings.RAMPART_APPS)  # every package the contracts name
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _copy_project(target: Path) -> None:
    skip = shutil.ignore_patterns("static", "templates", "__pycache__", "library", "migrations")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, target / name, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def test_the_project_keeps_every_contract() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_pointing_up_breaks_the_check(tmp_path: Path) -> None:
    _copy_project(tmp_path)
    (tmp_path / "core" / "wrong_way.py").write_text("from governance import models  # noqa\n")
    (tmp_path / "access" / "wrong_way.py").write_text("import audits.chain  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "core.wrong_way -> governance.models" in result.stdout
    assert "access.wrong_way -> audits.chain" in result.stdout
    assert "2 broken" in result.stdout
