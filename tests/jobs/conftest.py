"""Fixtures of the scheduler tests: test-only jobs, registered for one test and then gone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from core import jobs_registry
from core.jobs_registry import job
from jobs.models import JobSchedule


@dataclass
class JobsUnderTest:
    """Test jobs and what they saw. ``calls`` lists the ids of the runs each job body ran for."""

    calls: list[int] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def jobs_under_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobsUnderTest]:
    """Registers ``test.echo``, ``test.fail``, ``test.audited`` and ``test.slow`` for this test only."""
    monkeypatch.setattr(jobs_registry, "_JOBS", dict(jobs_registry.discover()))
    state = JobsUnderTest()

    @job("test.echo", description="Says hello.", interval_seconds=60)
    def echo(run: Any) -> str:
        with state.lock:
            state.calls.append(run.pk)
        return f"hello from run {run.pk}"

    @job("test.fail", description="Always fails.", cron="0 4 * * *")
    def fail(run: Any) -> str:
        raise RuntimeError("the disk is full")

    @job("test.audited", description="Makes an audited change.", cron="0 5 * * *")
    def audited(run: Any) -> str:
        JobSchedule.objects.create(job_id=f"marker-{run.pk}", cron="0 0 * * *")
        return "marker written"

    @job("test.slow", description="Waits until the test releases it.", interval_seconds=3600)
    def slow(run: Any) -> str:
        with state.lock:
            state.calls.append(run.pk)
        state.entered.set()
        if not state.release.wait(timeout=20):
            raise TimeoutError("the test never released the slow job")
        return "slow job done"

    yield state
    state.release.set()
