"""Worker processes for a long verification: each reads and checks one range of the chain.

``python -m audits.verify_worker`` reads one request (JSON on stdin: the settings
module, the parent's database settings, the range) and answers with what
``scan_range`` found (JSON on stdout). Plain subprocesses rather than
``multiprocessing``: nothing of the parent is re-imported or inherited (the scheduler
has threads, and a forked child would share its database connection), and each worker
uses exactly the parent's database (a test database, a ``DATABASE_URL`` ...). Workers
read committed rows only, which is why ``audits.chain`` uses them outside a
transaction only.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, cast


class WorkerError(Exception):
    """A worker process failed; the caller reads the range itself instead."""


def scan_in_processes(ranges: list[tuple[int, int]], prevs: list[str | None], batch_size: int) -> list[Any]:
    """``scan_range`` of each range, each in its own process, in the order given."""
    from django.conf import settings
    from django.db import connection

    from audits.chain import _Break, _Scan

    try:
        database = dict(connection.settings_dict)
        json.dumps(database)
    except TypeError as exc:
        raise WorkerError("the database settings cannot be handed to a worker") from exc
    # Under override_settings (tests) the wrapper has no module name; the environment still does.
    module = getattr(settings, "SETTINGS_MODULE", None) or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    base = {"settings": module, "database": database, "batch_size": batch_size}
    requests = [
        {**base, "range": [first, last], "expected_prev": prev}
        for (first, last), prev in zip(ranges, prevs, strict=True)
    ]
    with tempfile.TemporaryFile() as errors:
        workers = [_launch(request, Path(settings.BASE_DIR), errors) for request in requests]
        outputs = [cast(IO[bytes], process.stdout).read() for process in workers]
        if any(process.wait() != 0 for process in workers):
            errors.seek(0)
            raise WorkerError(errors.read().decode(errors="replace")[-2000:])
    scans = []
    for out in outputs:
        data = json.loads(out)
        broken = data.pop("broken")
        scans.append(_Scan(**data, broken=_Break(**broken) if broken else None))
    return scans


def _launch(request: dict[str, Any], base_dir: Path, errors: IO[bytes]) -> subprocess.Popen[bytes]:
    """One worker, its request written to its stdin (database passwords stay off the command line)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(base_dir), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen(
        [sys.executable, "-m", "audits.verify_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        env=env,
        cwd=str(base_dir),
    )
    stdin = cast(IO[bytes], process.stdin)
    stdin.write(json.dumps(request).encode())
    stdin.close()
    return process


def main() -> None:
    request = json.loads(sys.stdin.read())
    os.environ["DJANGO_SETTINGS_MODULE"] = request["settings"]
    from django.conf import settings

    settings.DATABASES = {"default": request["database"]}
    import django

    django.setup()
    from django.db import connection

    from audits.chain import scan_range

    first, last = request["range"]
    try:
        scan = scan_range(first, last, expected_prev=request["expected_prev"], batch_size=request["batch_size"])
    finally:
        connection.close()
    sys.stdout.write(json.dumps(dataclasses.asdict(scan)))


if __name__ == "__main__":
    main()
