"""Long verifications are read in ranges (by worker processes when the database allows): same verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from audits import verify_worker
from audits.chain import ChainResult, scan_range, verify_chain
from audits.models import ChainHead, LogEntry
from tests.audits.conftest import as_attacker, rewrite_from, write_entries

WORKERS = 3


def serial_and_split() -> tuple[ChainResult, ChainResult]:
    return verify_chain(workers=1), verify_chain(workers=WORKERS, parallel_min=1)


def boundaries() -> list[int]:
    """The first sequence of each range after the first, as ``scan_all`` splits 1..head."""
    total = ChainHead.current().sequence
    size = -(-total // WORKERS)
    return [1 + size * i for i in range(1, WORKERS)]


def change(sequence: int) -> None:
    with as_attacker():
        LogEntry.objects.filter(sequence=sequence).update(object_repr="changed")


def delete(*sequences: int) -> None:
    with as_attacker():
        LogEntry.objects.filter(sequence__in=sequences).delete()


def rehash_one(sequence: int) -> None:
    """Change an entry and fix its own hash only: the next entry's link breaks."""
    entry = LogEntry.objects.get(sequence=sequence)
    entry.object_repr = "rehashed"
    with as_attacker():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="rehashed", entry_hash=entry.compute_hash())


CASES: dict[str, Callable[[list[int]], None]] = {
    "intact": lambda b: None,
    "changed first of a range": lambda b: change(b[0]),
    "changed last of a range": lambda b: change(b[0] - 1),
    "changed in the last range": lambda b: change(b[1] + 2),
    "link broken across ranges": lambda b: rehash_one(b[0] - 1),
    "gap at the end of a range": lambda b: delete(b[0] - 2, b[0] - 1),
    "gap at the start of a range": lambda b: delete(b[0], b[0] + 1),
    "whole middle range missing": lambda b: delete(*range(b[0], b[1])),
    "tail deleted": lambda b: delete(ChainHead.current().sequence),
    "rewritten from the middle": lambda b: rewrite_from(b[0] - 1, object_repr="rewritten"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_split_verification_gives_the_serial_verdict(case: str) -> None:
    write_entries(30)
    CASES[case](boundaries())
    serial, split = serial_and_split()
    assert split == serial, f"{split.summary()} != {serial.summary()}"
    assert serial.ok == (case in {"intact", "rewritten from the middle"})


on_disk = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="worker processes need a database they can open (SQLite tests run in memory)"
)


@on_disk
@pytest.mark.django_db(transaction=True)
def test_worker_processes_read_committed_ranges_like_the_parent() -> None:
    write_entries(12)
    head = ChainHead.current().sequence
    ranges = [(1, 5), (6, head)]
    first = LogEntry.objects.get(sequence=1)
    in_processes = verify_worker.scan_in_processes(ranges, [first.prev_hash, None], 4)
    here = [scan_range(1, 5, expected_prev=first.prev_hash), scan_range(6, head, expected_prev=None)]
    assert in_processes == here
    assert verify_chain(workers=2, parallel_min=1) == verify_chain(workers=1)
    change(8)
    parallel = verify_chain(workers=2, parallel_min=1)
    assert (parallel.ok, parallel.sequence) == (False, 8)
    assert parallel == verify_chain(workers=1)


@on_disk
@pytest.mark.django_db(transaction=True)
def test_a_failed_worker_falls_back_to_reading_here(settings: Any, caplog: Any) -> None:
    write_entries(6)
    settings.SETTINGS_MODULE = "no.such.settings"  # the workers cannot start Django
    with pytest.raises(verify_worker.WorkerError):
        verify_worker.scan_in_processes([(1, 3), (4, 6)], ["0" * 64, None], 10)
    result = verify_chain(workers=2, parallel_min=1)
    assert result.ok and "worker process failed" in caplog.text
