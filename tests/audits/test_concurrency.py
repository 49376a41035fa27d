"""Concurrent writers on PostgreSQL never fork the chain: the head row serialises them."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from audits.chain import verify_chain
from audits.models import LogEntry

THREADS = 4
WRITES = 25


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_contiguous_chain() -> None:
    before = LogEntry.objects.count()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        # Each thread gets its own database connection from Django.
        try:
            start.wait()
            for i in range(WRITES):
                Group.objects.create(name=f"concurrent {number}-{i}")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, errors
    sequences = list(LogEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert len(sequences) == before + THREADS * WRITES >= 100
    assert sequences == list(range(1, len(sequences) + 1))
    result = verify_chain(batch_size=17)
    assert result.ok, result.summary()
    assert result.count == len(sequences)
