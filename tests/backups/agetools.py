"""Helpers for driving the real ``age`` and ``age-keygen`` tools (Debian package ``age``)."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

AGE = shutil.which("age") or "/usr/bin/age"
AGE_KEYGEN = shutil.which("age-keygen") or "/usr/bin/age-keygen"

needs_age = pytest.mark.skipif(
    not (Path(AGE).exists() and Path(AGE_KEYGEN).exists()),
    reason="the age tools are not installed (apt-get install age)",
)


@dataclass(frozen=True)
class KeyFile:
    path: Path
    recipient: str


def keygen(path: Path) -> KeyFile:
    """``age-keygen -o path``; the recipient as ``age-keygen -y`` prints it."""
    subprocess.run([AGE_KEYGEN, "-o", str(path)], check=True, capture_output=True)
    recipient = subprocess.run([AGE_KEYGEN, "-y", str(path)], check=True, capture_output=True, text=True)
    return KeyFile(path, recipient.stdout.strip())


def age(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([AGE, *args], input=data, capture_output=True, timeout=120)


def age_with_passphrase(args: list[str], passphrase: str, timeout: float = 120) -> tuple[int, bytes]:
    """Run ``age`` on a pseudo-terminal, typing ``passphrase`` at each passphrase prompt.

    age reads passphrases from the terminal, not from stdin. Returns the exit
    code and what age wrote to the terminal.
    """
    pid, fd = pty.fork()
    if pid == 0:  # the child: age, with the pty as its controlling terminal
        try:
            os.execv(AGE, [AGE, *args])  # noqa: S606 - a fixed binary, no shell
        finally:
            os._exit(127)
    output = b""
    answered = 0
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, 9)
                raise TimeoutError(f"age did not finish: {output!r}")
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            output += data
            if output.lower().count(b"passphrase") > answered and output.rstrip().endswith(b":"):
                os.write(fd, passphrase.encode() + b"\n")
                answered += 1
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output
