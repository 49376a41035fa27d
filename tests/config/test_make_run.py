"""``make run``: the demo shows Rampart's own error pages, and stops cleanly on Ctrl-C or SIGTERM.

The demo runs with DEBUG off, so a refused or missing object is our 404 page, not
Django's debug page listing every URL pattern; whitenoise serves the collected static
files. Stopping it (SIGINT to the whole foreground group, as Ctrl-C does, or SIGTERM to
make) stops the web server and the scheduler and never crashes the shell.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow]
BASE = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def demo(tmp_path: Path) -> Any:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "RAMPART_", "DJANGO_"))}
    env["RAMPART_VAR_DIR"] = str(tmp_path / "var")
    # -o: never reinstall the requirements here (no network in tests, and the venv is shared).
    process = subprocess.Popen(
        ["make", "-s", "-o", ".venv/.deps", "run", f"PORT={port}"],
        cwd=BASE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if _get(f"{base}/accounts/login/")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.5)
        else:
            pytest.fail("the demo did not answer within 3 minutes")
        yield process, base
    finally:
        if _group_alive(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        if process.stdout is not None:
            process.stdout.close()
        process.wait()


def _shows_our_own_error_pages_and_styles(base: str) -> None:
    status, page = _get(f"{base}/no-such-page/")
    assert status == 404
    assert "There is nothing here" in page
    assert "URLconf" not in page and "Django tried these URL patterns" not in page
    _, login = _get(f"{base}/accounts/login/")
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', login)
    assert stylesheets
    for href in stylesheets:
        assert _get(f"{base}{href}")[0] == 200, href


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_the_demo_shows_our_error_pages_and_stops_cleanly(demo: Any, how: str) -> None:
    process, base = demo
    _shows_our_own_error_pages_and_styles(base)
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)  # a terminal sends SIGINT to the whole foreground group
    else:
        process.send_signal(signal.SIGTERM)  # e.g. a service manager stopping make
    output, _ = process.communicate(timeout=60)
    assert "Segmentation fault" not in output
    assert "Rampart stopped (web server and scheduler)." in output
    assert process.returncode in (0, -signal.SIGINT, -signal.SIGTERM), output
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(process.pid), "a process of the demo is still running"
