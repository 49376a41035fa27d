"""The hash chain: it verifies when intact and names the first entry that was tampered with."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from audits.chain import (
    BROKEN_LINK,
    HASH_MISMATCH,
    HEAD_MISMATCH,
    SEQUENCE_GAP,
    _content_type_keys,
    _rows,
    scan_range,
    verify_chain,
)
from audits.jobs import AuditTrailBrokenError, verify_audit_trail
from audits.models import GENESIS_HASH, AppendOnlyError, ChainHead, LogEntry, canonical_json, canonical_json_text
from core.jobs_registry import discover
from tests.audits.conftest import as_attacker, chain_entries, write_entries

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def run_command(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit_trail", *args, stdout=out, stderr=out, no_color=True)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_an_intact_chain_verifies() -> None:
    before = LogEntry.objects.count()
    write_entries(5)
    result = verify_chain()
    assert result.ok, result.summary()
    assert result.count == before + 5
    entries = chain_entries()
    assert [e.sequence for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    head = ChainHead.objects.get()
    assert (head.sequence, head.last_hash) == (entries[-1].sequence, entries[-1].entry_hash)


def test_model_changes_are_chained_with_their_actor_in_the_hash(admin_alice: Any) -> None:
    from core.actor import acting

    with acting(admin_alice, via="test"):
        group = Group.objects.create(name="Chained")
    entry = LogEntry.objects.get(content_type=ContentType.objects.get_for_model(Group), object_pk=str(group.pk))
    assert entry.actor_id == admin_alice.pk
    assert entry.hash_matches
    stored = LogEntry.objects.get(pk=entry.pk)
    assert stored.entry_hash == entry.entry_hash and stored.hash_matches
    # Changing only the actor breaks the hash: the actor is covered.
    stored.actor_id = None
    assert not stored.hash_matches


def test_a_changed_entry_is_named() -> None:
    entries = write_entries(6)
    victim = entries[2]
    with as_attacker():
        LogEntry.objects.filter(pk=victim.pk).update(object_repr="nothing to see here")
    result = verify_chain()
    assert not result.ok
    assert (result.sequence, result.entry_id, result.reason) == (victim.sequence, victim.pk, HASH_MISMATCH)
    assert result.summary().startswith(f"BROKEN at entry #{victim.sequence} (id {victim.pk}): hash mismatch")


def test_changed_changes_are_detected() -> None:
    entries = write_entries(4)
    with as_attacker():
        LogEntry.objects.filter(pk=entries[1].pk).update(changes={"name": ["old 1", "something else"]})
    result = verify_chain()
    assert (result.ok, result.entry_id, result.reason) == (False, entries[1].pk, HASH_MISMATCH)


def test_a_rehashed_entry_breaks_the_link_to_the_next() -> None:
    entries = write_entries(5)
    victim = LogEntry.objects.get(pk=entries[1].pk)
    victim.object_repr = "forged"
    with as_attacker():
        LogEntry.objects.filter(pk=victim.pk).update(object_repr="forged", entry_hash=victim.compute_hash())
    result = verify_chain()
    assert (result.ok, result.sequence, result.reason) == (False, entries[2].sequence, BROKEN_LINK)


def test_a_deleted_entry_in_the_middle_is_detected() -> None:
    entries = write_entries(6)
    with as_attacker():
        LogEntry.objects.filter(pk=entries[3].pk).delete()
    result = verify_chain()
    assert not result.ok
    assert (result.sequence, result.entry_id, result.reason) == (entries[4].sequence, entries[4].pk, SEQUENCE_GAP)
    assert f"#{entries[3].sequence}" in result.detail


def test_a_deleted_tail_is_detected_through_the_head() -> None:
    entries = write_entries(6)
    with as_attacker():
        LogEntry.objects.filter(sequence__gte=entries[4].sequence).delete()
    result = verify_chain()
    assert not result.ok
    assert result.reason == HEAD_MISMATCH
    assert result.sequence == entries[4].sequence and result.entry_id is None
    assert result.summary().startswith(f"BROKEN at entry #{entries[4].sequence} (id missing): head mismatch")


def test_an_emptied_trail_is_detected() -> None:
    write_entries(2)
    with as_attacker():
        LogEntry.objects.all().delete()
    result = verify_chain()
    assert (result.ok, result.sequence, result.reason) == (False, 1, HEAD_MISMATCH)


def test_a_head_moved_back_is_detected() -> None:
    entries = write_entries(3)
    last = entries[-1]
    with as_attacker():
        ChainHead.objects.filter(pk=1).update(sequence=last.sequence - 1, last_hash=entries[-2].entry_hash)
    result = verify_chain()
    assert (result.ok, result.sequence, result.reason) == (False, last.sequence, HEAD_MISMATCH)


def test_entries_appended_while_verifying_are_left_for_the_next_run() -> None:
    """Verification reads the head first; an entry beyond it is a concurrent append, not tampering."""
    write_entries(3)
    head = ChainHead.current()
    result_before = verify_chain()
    write_entries(1)
    assert result_before.ok and result_before.count == head.sequence
    assert verify_chain().count == head.sequence + 1


def test_entries_are_append_only_in_the_application() -> None:
    entry = write_entries(1)[0]
    entry.object_repr = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LogEntry.objects.bulk_create([LogEntry(object_repr="unchained")])
    assert LogEntry.objects.get(pk=entry.pk).object_repr != "changed"
    assert verify_chain().ok


@postgres_only
def test_postgres_refuses_updates_and_deletes_of_entries() -> None:
    entry = write_entries(2)[0]
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="changed")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(IntegrityError, match="forward one entry"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=1)
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        ChainHead.objects.all().delete()
    assert verify_chain().ok


def test_the_hash_survives_the_database_round_trip() -> None:
    """What is hashed at write time is what any database hands back: JSON, numbers, times, IPs."""
    tz = timezone(timedelta(hours=5, minutes=30))
    entry = write_entries(
        1,
        remote_addr="2001:0DB8:0000:0000:0000:0000:0000:0001",
        timestamp=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=tz),
        additional_data={"z": 1.0, "a": [1.5, 1e20, (1, 2)], "ünï": "çödé ✓", 3: None, "nested": {"b": 2, "a": 1}},
        cid="c" * 400,
    )[0]
    stored = LogEntry.objects.get(pk=entry.pk)
    assert stored.remote_addr == "2001:db8::1"
    assert stored.timestamp == datetime(2026, 3, 1, 6, 30, 0, 123456, tzinfo=UTC)
    assert len(stored.cid or "") == 255
    assert stored.compute_hash() == entry.entry_hash
    assert verify_chain().ok


def test_the_command_reports_ok_and_broken() -> None:
    entries = write_entries(3)
    code, out = run_command()
    assert code == 0
    assert out.strip() == f"OK: {LogEntry.objects.count()} entries verified"
    with as_attacker():
        LogEntry.objects.filter(pk=entries[1].pk).update(remote_addr="10.6.6.6")
    code, out = run_command("--batch-size", "2")
    assert code == 1
    assert out.strip().startswith(f"BROKEN at entry #{entries[1].sequence} (id {entries[1].pk}): hash mismatch")


def test_the_command_refuses_a_zero_batch_size() -> None:
    code, out = run_command("--batch-size", "0")
    assert code == 2 and "--batch-size" in out


def test_the_daily_job_is_registered_and_fails_when_broken() -> None:
    job = discover()["audits.verify_audit_trail"]
    assert job.func is verify_audit_trail and job.cron
    entries = write_entries(2)
    output = job.func(None)
    assert output.startswith(f"OK: {LogEntry.objects.count()} entries verified")
    assert ChainHead.current().last_hash in output
    with as_attacker():
        LogEntry.objects.filter(pk=entries[0].pk).update(object_repr="forged")
    with pytest.raises(AuditTrailBrokenError, match=f"BROKEN at entry #{entries[0].sequence}"):
        job.func(None)


@pytest.mark.slow
def test_verification_streams_with_bounded_memory() -> None:
    """2,000 entries of ~5 KB each: reading them all at once would hold 10+ MB."""
    write_entries(2000, repr_size=5000)
    tracemalloc.start()
    try:
        result = verify_chain(batch_size=200)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.count >= 2000
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"z": 1.0, "a": [1.5, 1e20, (1, 2)], "ünï": "çödé ✓", 3: None, "nested": {"b": 2.0, "a": -0.0}},
        [1e300, 2.5e-300, float("inf"), 12345678901234567890, True, False, ""],
        {"m2m": {"type": "m2m", "operation": "add", "objects": ["a", "b"]}},
    ],
)
def test_json_read_as_text_is_canonicalised_like_json_values(value: Any) -> None:
    """The verifier parses JSON columns from their text; it must give what ``canonical_json`` gives."""
    assert canonical_json_text(None if value is None else json.dumps(value)) == canonical_json(value)
    stored = canonical_json(value)
    assert canonical_json_text(json.dumps(stored)) == stored


def test_the_streaming_verifier_hashes_exactly_like_compute_hash() -> None:
    """The verifier reads raw column values (no model instances); ``compute_hash`` decides what is right."""
    write_entries(
        2,
        remote_addr="2001:0DB8:0000:0000:0000:0000:0000:0001",
        timestamp=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        additional_data={"z": 1.0, "a": [1.5, 1e20, (1, 2)], "ünï": "çödé ✓", 3: None},
        serialized_data={"fields": {"weight": 2.0, "name": "x"}},
        cid="c" * 400,
    )
    write_entries(2, timestamp=datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC), remote_addr=None)
    entries = chain_entries()
    rows = list(_rows(1, entries[-1].sequence, 3))
    assert len(rows) == len(entries)
    content_types = _content_type_keys()
    for entry, row in zip(entries, rows, strict=True):
        assert row[1] == entry.sequence
        scanned = scan_range(entry.sequence, entry.sequence, expected_prev=entry.prev_hash)
        assert scanned.broken is None and scanned.last_hash == entry.compute_hash() == entry.entry_hash
        assert content_types[row[4]] == entry.content_type_key()
    # And a changed row is seen as changed, through both paths.
    victim = entries[1]
    with as_attacker():
        LogEntry.objects.filter(pk=victim.pk).update(additional_data={"z": 1.5})
    stored = LogEntry.objects.get(pk=victim.pk)
    assert stored.compute_hash() != stored.entry_hash
    broken = scan_range(victim.sequence, victim.sequence, expected_prev=victim.prev_hash).broken
    assert broken is not None and broken.reason == HASH_MISMATCH
