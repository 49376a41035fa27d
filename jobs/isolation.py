"""Untrusted work in a child process with memory and time limits: one bad file cannot stop the scheduler.

A parser fed a hostile file may crash the process it runs in: libyaml's composer recursing
through 100,000 ``[`` ends in a segmentation fault, which no ``try`` catches. Tasks that read
what people upload therefore parse it with ``call_isolated``: the function runs in a child
process (forked from a clean ``forkserver`` process that has Django set up, not from the
scheduler and its threads and database connections), under ``setrlimit`` limits on memory
(``RLIMIT_AS``) and CPU time, and a wall-clock deadline. Whatever happens to the child, the
caller gets the function's result, its exception, or a ``TaskError`` saying in words what
went wrong (crashed, out of memory, too slow), which the scheduler records as that run's
failure; the scheduler goes on.

The child gets its arguments and returns its result by pickling: give it plain data (bytes,
strings) and return plain data. It has no database access of its own to speak of: do the
writing in the caller, inside its one transaction.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import threading
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

_LOCK = threading.Lock()  # the scheduler runs tasks in threads; the environment is the process's
CHILD_SETUP_MODULE = "jobs.isolation_child"  # preloaded by the forkserver: Django set up once


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    cpu_seconds: int
    wall_seconds: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            memory_bytes=int(getattr(settings, "RAMPART_TASK_MEMORY_BYTES", 2 * 1024**3)),
            cpu_seconds=int(getattr(settings, "RAMPART_TASK_CPU_SECONDS", 300)),
            wall_seconds=int(getattr(settings, "RAMPART_TASK_WALL_SECONDS", 600)),
        )


def _context() -> Any:
    """The forkserver context, its server started with our project importable.

    Python 3.11's forkserver ignores the parent's ``sys.path``, so the project folder goes in
    ``PYTHONPATH`` for the moment the server starts, and the environment is put back after.
    """
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([CHILD_SETUP_MODULE])
    root = str(Path(__file__).resolve().parent.parent)
    before = os.environ.get("PYTHONPATH")
    paths = [p for p in (before or "").split(os.pathsep) if p]
    with _LOCK:
        try:
            os.environ["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p != root]])
            forkserver.ensure_running()
        finally:
            if before is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = before
    return context


def call_isolated(target: str, *args: Any, limits: Limits | None = None, **kwargs: Any) -> Any:
    """Call ``target`` (``"package.module:function"``) with the arguments in a limited child process.

    Returns its result or raises its exception (when it can be pickled); a crash, running out
    of memory or time becomes ``jobs.tasks.TaskError`` with a readable message and no traceback.
    """
    from jobs.tasks import TaskError

    limits = limits or Limits.from_settings()
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, target, args, kwargs, limits), daemon=True)
    child.start()
    sender.close()
    outcome: tuple[str, Any] | None = None
    try:
        if receiver.poll(limits.wall_seconds):
            try:
                outcome = receiver.recv()
            except EOFError:
                outcome = None  # the child died before it could answer
        else:
            child.kill()
            raise TaskError(
                f"The work took longer than {limits.wall_seconds} seconds and was stopped; "
                "the file is probably too large or too complex."
            )
    finally:
        receiver.close()
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join(5)
    if outcome is None:
        raise TaskError(_death_message(child.exitcode))
    kind, payload = outcome
    if kind == "ok":
        return payload
    if kind == "raised":
        raise payload
    raise TaskError(str(payload))


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGXCPU:
            return "The work used more CPU time than allowed and was stopped; the file is probably too complex."
        if number == signal.SIGKILL:
            return "The work was stopped (it ran out of memory or time); the file is probably too large or too complex."
        return (
            f"The process reading the input crashed ({name}); the input is probably malformed, "
            "for example nested too deeply. Nothing was written."
        )
    return f"The process reading the input stopped unexpectedly (exit code {exitcode}). Nothing was written."


def _apply_limits(limits: Limits) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core dumps of what an upload did


def _resolve(target: str) -> Any:
    module_name, _, name = target.partition(":")
    obj: Any = import_module(module_name)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _child_main(conn: Any, target: str, args: tuple[Any, ...], kwargs: dict[str, Any], limits: Limits) -> None:
    """Runs in the child: limits first, then the call; one message back, whatever happens."""
    import django
    from django.apps import apps

    outcome: tuple[str, Any]
    try:
        _apply_limits(limits)
        if not apps.ready:
            django.setup()
        result = _resolve(target)(*args, **kwargs)
        outcome = ("ok", result)
    except MemoryError:
        outcome = ("failed", "The work needed more memory than allowed; the file is probably too large.")
    except RecursionError:
        outcome = ("failed", "The input is nested too deeply to be read.")
    except BaseException as exc:  # sent back to the caller, who decides what it means
        outcome = ("raised", exc)
    try:
        conn.send(outcome)
    except (pickle.PicklingError, TypeError, AttributeError, MemoryError):
        log.exception("The result of %s could not be sent back.", target)
        kind = "the result" if outcome[0] == "ok" else f"an error ({type(outcome[1]).__name__})"
        conn.send(("failed", f"The work ended with {kind} that could not be passed back."))
    finally:
        conn.close()
