"""Settings read from the environment refuse a yes/no value they do not understand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "RAMPART_VAR_DIR": str(tmp_path), **env}
    environ.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_misspelt_boolean_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    result = _check(tmp_path, RAMPART_DEBUG="ture")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "RAMPART_DEBUG='ture' is not a yes/no value" in result.stderr


def test_known_words_are_read_both_ways(tmp_path: Path) -> None:
    assert _check(tmp_path, RAMPART_DEBUG="yes").returncode == 0
    assert _check(tmp_path, RAMPART_DEBUG="off").returncode == 0
