"""Verifying the audit trail's hash chain, streamed in sequence order.

The head is read first: entries appended while the check runs lie beyond it and
are left for the next run, so a busy system never shows a false alarm. Every entry
up to the head is then read in batches (``.iterator()``), so memory stays bounded
however long the trail is.

``append_entries`` is the one sanctioned way to write many entries at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from audits.models import GENESIS_HASH, AppendOnlyError, ChainHead, LogEntry, LogEntryQuerySet

HASH_MISMATCH = "hash mismatch"
BROKEN_LINK = "broken link"
SEQUENCE_GAP = "gap in sequence"
HEAD_MISMATCH = "head mismatch (tail deleted)"


@dataclass(frozen=True)
class ChainResult:
    """The outcome of a verification; ``sequence``/``entry_id`` name the first broken entry."""

    ok: bool
    count: int
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    sequence: int | None = None
    entry_id: int | None = None
    reason: str = ""
    detail: str = ""

    def summary(self) -> str:
        if self.ok:
            return f"OK: {self.count} entries verified"
        entry_id = "missing" if self.entry_id is None else self.entry_id
        text = f"BROKEN at entry #{self.sequence} (id {entry_id}): {self.reason}"
        return f"{text}: {self.detail}" if self.detail else text


def verify_chain(*, batch_size: int = 2000) -> ChainResult:
    """Check every entry's hash, its link to the entry before, the sequence and the head."""
    head = ChainHead.current()
    count = 0
    expected_sequence = 1
    expected_prev = GENESIS_HASH
    last_id: int | None = None

    def broken(entry_sequence: int, entry_id: int | None, reason: str, detail: str) -> ChainResult:
        return ChainResult(
            ok=False,
            count=count,
            head_sequence=head.sequence,
            head_hash=head.last_hash,
            sequence=entry_sequence,
            entry_id=entry_id,
            reason=reason,
            detail=detail,
        )

    entries = LogEntry.objects.filter(sequence__lte=head.sequence).order_by("sequence")
    for entry in entries.iterator(chunk_size=batch_size):
        if entry.sequence != expected_sequence:
            return broken(
                entry.sequence,
                entry.pk,
                SEQUENCE_GAP,
                f"expected #{expected_sequence}; entries #{expected_sequence} to #{entry.sequence - 1} are missing",
            )
        if entry.compute_hash() != entry.entry_hash:
            return broken(entry.sequence, entry.pk, HASH_MISMATCH, "the entry was changed after it was written")
        if entry.prev_hash != expected_prev:
            return broken(entry.sequence, entry.pk, BROKEN_LINK, "it does not point at the hash of the entry before it")
        count += 1
        last_id = entry.pk
        expected_sequence += 1
        expected_prev = entry.entry_hash

    if count != head.sequence:
        return broken(
            count + 1,
            None,
            HEAD_MISMATCH,
            f"the chain head records {head.sequence} entries but the trail ends at #{count}",
        )
    if expected_prev != head.last_hash:
        return broken(count, last_id, HEAD_MISMATCH, "the last entry's hash is not the one the chain head recorded")
    # Entries committed beyond the head (read after them) mean the head was moved back.
    newest = LogEntry.objects.aggregate(newest=Max("sequence"))["newest"] or 0
    if newest > ChainHead.current().sequence:
        return broken(newest, None, HEAD_MISMATCH, f"entry #{newest} lies beyond the chain head")
    return ChainResult(ok=True, count=count, head_sequence=head.sequence, head_hash=head.last_hash)


def append_entries(entries: Sequence[LogEntry], *, batch_size: int = 2000) -> int:
    """Chain and write many new entries at once (seeding, imports); returns how many.

    The sanctioned fast path around ``LogEntry.save()``: inside one transaction that
    holds the chain head's row lock, each entry gets its sequence, ``prev_hash`` and
    ``entry_hash`` exactly as ``save()`` gives them (same normalisation, same
    ``compute_hash``), then every batch of ``batch_size`` is written with one
    multi-row INSERT and the head jumps to the batch's last entry. On PostgreSQL the
    head trigger accepts such a jump only onto a stored entry with that hash whose
    chain links back to the old head (migration 0004).

    No ``pre_save`` signal runs: the caller fills in actor, timestamp, remote address
    and extra data itself. Entries already saved are refused.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    for entry in entries:
        if not entry._state.adding or entry.pk is not None:
            raise AppendOnlyError("Audit-trail entries are append-only.")
    if not entries:
        return 0
    # The plain QuerySet.bulk_create: LogEntry's own queryset refuses bulk writes
    # that would skip the chaining done here.
    insert = super(LogEntryQuerySet, LogEntry.objects.all()).bulk_create
    with transaction.atomic():
        head = ChainHead.locked()
        sequence, last_hash = head.sequence, head.last_hash
        for start in range(0, len(entries), batch_size):
            batch = list(entries[start : start + batch_size])
            for entry in batch:
                # What LogEntry._save_table does for one entry, minus the per-entry head write.
                entry._normalise()
                entry.sequence, entry.prev_hash = sequence + 1, last_hash
                entry.entry_hash = entry.compute_hash()
                sequence, last_hash = entry.sequence, entry.entry_hash
            insert(batch)
            head.advance(sequence=sequence, last_hash=last_hash)
    return len(entries)
