"""``append_entries``: many entries written at once, chained exactly like ``save()`` chains them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction

from audits.chain import HASH_MISMATCH, append_entries, verify_chain
from audits.models import AppendOnlyError, ChainHead, LogEntry
from tests.audits.conftest import as_attacker, chain_entries, write_entries

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def unsaved(count: int, **fields: Any) -> list[LogEntry]:
    content_type = ContentType.objects.get_for_model(Group)
    return [
        LogEntry(
            content_type=content_type,
            object_pk=i,  # an int, as callers may pass: stored and hashed as text
            object_id=i,
            object_repr=f"batch group {i}",
            action=LogEntry.Action.UPDATE,
            changes={"name": [f"old {i}", f"new {i}"], "weight": 2.0},
            remote_addr="2001:0DB8::0001",
            **fields,
        )
        for i in range(count)
    ]


def test_batches_between_normal_saves_verify(admin_alice: Any) -> None:
    base = ChainHead.current().sequence  # creating the persona wrote entries already
    write_entries(3)
    assert append_entries(unsaved(7, actor=admin_alice, actor_email=admin_alice.email), batch_size=3) == 7
    write_entries(2)
    append_entries(unsaved(4), batch_size=10)

    result = verify_chain()

    assert result.ok, result.summary()
    entries = chain_entries()
    assert [e.sequence for e in entries] == list(range(1, base + 17))
    head = ChainHead.objects.get()
    assert (head.sequence, head.last_hash) == (base + 16, entries[-1].entry_hash)
    # What was hashed in memory is what the database hands back.
    batch = [e for e in entries if e.object_repr.startswith("batch")]
    assert len(batch) == 11
    assert all(e.hash_matches for e in batch)
    assert batch[0].remote_addr == "2001:db8::1" and batch[0].changes["weight"] == 2


def test_the_entries_in_memory_carry_their_stored_chain_fields() -> None:
    entries = unsaved(5)
    append_entries(entries, batch_size=2)
    stored = {e.sequence: e.entry_hash for e in LogEntry.objects.filter(object_repr__startswith="batch")}
    assert {e.sequence: e.entry_hash for e in entries} == stored
    assert all(e.pk is not None for e in entries)


def test_a_tampered_batch_entry_is_found(admin_alice: Any) -> None:
    entries = unsaved(5)
    append_entries(entries)
    victim = entries[2]
    with as_attacker():
        LogEntry.objects.filter(pk=victim.pk).update(object_repr="rewritten")
    result = verify_chain()
    assert not result.ok and (result.sequence, result.reason) == (victim.sequence, HASH_MISMATCH)


def test_saved_entries_and_bad_batch_sizes_are_refused() -> None:
    saved = write_entries(1)
    sequence = ChainHead.current().sequence
    with pytest.raises(AppendOnlyError):
        append_entries(saved)
    with pytest.raises(ValueError, match="batch_size"):
        append_entries(unsaved(1), batch_size=0)
    assert append_entries([]) == 0
    assert ChainHead.objects.get().sequence == sequence


def test_a_failing_batch_writes_nothing_and_leaves_the_head() -> None:
    write_entries(2)
    head_before = ChainHead.current()
    count = LogEntry.objects.count()
    entries = unsaved(3)
    entries[2].content_type_id = 999_999  # no such content type: the insert fails
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - the database's own error
        append_entries(entries, batch_size=1)
        # SQLite checks foreign keys at commit; make it check now.
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA foreign_key_check")
                if cursor.fetchall():
                    raise IntegrityError("foreign key")
            else:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    head = ChainHead.current()
    assert (head.sequence, head.last_hash) == (head_before.sequence, head_before.last_hash)
    assert LogEntry.objects.count() == count
    assert verify_chain().ok


@postgres_only
def test_postgres_head_still_refuses_backwards_and_wrong_hashes() -> None:
    base = ChainHead.current().sequence
    entries = unsaved(5)
    append_entries(entries)
    first, last = entries[0], entries[-1]
    with pytest.raises(IntegrityError, match="forward one entry"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=base + 2, last_hash=entries[1].entry_hash)
    with pytest.raises(IntegrityError, match="forward one entry"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=base + 5)

    # Forward jumps: only onto a stored entry, with its hash, over no gap, linked to the old head.
    write_entries(3)  # base + 6, 7, 8; the head follows them one by one
    with as_attacker():
        ChainHead.objects.filter(pk=1).update(sequence=base + 5, last_hash=last.entry_hash)
    eight = LogEntry.objects.get(sequence=base + 8)
    with pytest.raises(IntegrityError, match="stored entry with that hash"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=base + 8, last_hash=first.entry_hash)
    with pytest.raises(IntegrityError, match="stored entry with that hash"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=base + 9, last_hash="f" * 64)
    with as_attacker():
        ChainHead.objects.filter(pk=1).update(last_hash="e" * 64)  # a head that entry base + 6 does not follow
    with pytest.raises(IntegrityError, match="do not follow it"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=base + 8, last_hash=eight.entry_hash)
    with as_attacker():
        ChainHead.objects.filter(pk=1).update(last_hash=last.entry_hash)
        LogEntry.objects.filter(sequence=base + 7).delete()
    with pytest.raises(IntegrityError, match="missing entries"), transaction.atomic():
        ChainHead.objects.filter(pk=1).update(sequence=base + 8, last_hash=eight.entry_hash)
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        ChainHead.objects.all().delete()


@postgres_only
def test_postgres_head_accepts_a_well_formed_jump() -> None:
    write_entries(2)
    base = ChainHead.current().sequence
    append_entries(unsaved(50), batch_size=50)
    assert ChainHead.objects.get().sequence == base + 50
    write_entries(1)
    assert verify_chain().ok


def test_actor_filter_by_a_known_email_uses_the_actor_and_falls_back_to_contains(
    admin_alice: Any, officer_olga: Any
) -> None:
    from audits.selectors import TrailFilters, entries_visible_to

    append_entries(unsaved(3, actor=officer_olga, actor_email=officer_olga.email))
    append_entries(unsaved(2, actor=admin_alice, actor_email=admin_alice.email))

    def reprs(actor: str) -> list[str]:
        entries = entries_visible_to(admin_alice, TrailFilters(actor=actor)).filter(object_repr__startswith="batch")
        return [e.object_repr for e in entries]

    assert len(reprs(officer_olga.email.upper())) == 3  # exact email, any case: by actor id
    assert len(reprs("olga")) == 3  # part of an email: contains, as before
    assert reprs("nobody@example.test") == []  # an unknown email: contains finds nothing
