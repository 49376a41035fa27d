"""Verifying the audit trail's hash chain, streamed in sequence order.

The head is read first: entries appended while the check runs lie beyond it and
are left for the next run, so a busy system never shows a false alarm. Every entry
up to the head is then read in batches (``.iterator()``), so memory stays bounded
however long the trail is.

``append_entries`` is the one sanctioned way to write many entries at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max, TextField
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from audits.models import (
    GENESIS_HASH,
    AppendOnlyError,
    ChainHead,
    LogEntry,
    LogEntryQuerySet,
    canonical_json_text,
    entry_payload,
)

HASH_MISMATCH = "hash mismatch"
BROKEN_LINK = "broken link"
SEQUENCE_GAP = "gap in sequence"
HEAD_MISMATCH = "head mismatch (tail deleted)"
log = logging.getLogger(__name__)
# Below this many entries, starting worker processes (about a second each) costs more than it saves.
PARALLEL_MIN_ENTRIES = 200_000


def default_workers() -> int:
    """``settings.RAMPART_AUDIT_VERIFY_WORKERS``, else one worker process per core (at most 4).

    The verifier's own CPU is the cost (about 17 s per million entries on SQLite, 21 s on
    PostgreSQL, whose server spends under 3 s), so a second core nearly halves a long run.
    """
    configured = getattr(settings, "RAMPART_AUDIT_VERIFY_WORKERS", None)
    return int(configured) if configured else min(os.cpu_count() or 1, 4)


@dataclass(frozen=True)
class Anchor:
    """A point of the chain taken as proven: entry ``sequence`` has hash ``entry_hash``.

    An incremental verification starts after it (a checkpoint that still matches the
    trail); ``label`` says in the summary where the anchor came from.
    """

    sequence: int
    entry_hash: str
    label: str = ""


@dataclass(frozen=True)
class ChainResult:
    """The outcome of a verification; ``sequence``/``entry_id`` name the first broken entry.

    ``count`` is the number of entries read and verified: all of them for a full
    verification, those after ``anchor`` for an incremental one.
    """

    ok: bool
    count: int
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    sequence: int | None = None
    entry_id: int | None = None
    reason: str = ""
    detail: str = ""
    anchor: Anchor | None = None

    def summary(self) -> str:
        if self.ok:
            text = f"OK: {self.count} entries verified"
            if self.anchor is not None:
                first, last = self.anchor.sequence + 1, self.head_sequence
                span = f"#{first} to #{last}" if last >= first else "none new"
                text += f" ({span}; up to #{self.anchor.sequence} anchored by {self.anchor.label or 'a checkpoint'})"
            return text
        entry_id = "missing" if self.entry_id is None else self.entry_id
        text = f"BROKEN at entry #{self.sequence} (id {entry_id}): {self.reason}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass(frozen=True)
class _Break:
    sequence: int
    entry_id: int | None
    reason: str
    detail: str


@dataclass(frozen=True)
class _Scan:
    """What one pass over a range found: entries verified, the last hash, or the first break.

    ``first_*`` describe the first row read (for joining ranges read in parallel).
    """

    count: int
    last_hash: str
    last_id: int | None
    next_sequence: int
    broken: _Break | None = None
    first_sequence: int | None = None
    first_id: int | None = None
    first_prev: str | None = None


_JSON_COLUMNS = {
    "serialized_text": "serialized_data",
    "changes_json": "changes",
    "additional_text": "additional_data",
}


def _rows(first: int, last: int, batch_size: int) -> Iterator[tuple[Any, ...]]:
    """Raw column tuples of entries ``first..last`` in sequence order, streamed, JSON columns as text.

    No model instance and no JSON decoding by Django: the hash needs the values only.
    On PostgreSQL ``iterator()`` reads through a server-side cursor, ``batch_size`` rows
    at a time, so memory stays bounded however many entries there are.
    """
    casts = {alias: Cast(column, TextField()) for alias, column in _JSON_COLUMNS.items()}
    # SQLite keeps timestamps as text; parsing it here is quicker than Django's converter.
    timestamp = "timestamp_text" if connection.vendor == "sqlite" else "timestamp"
    if timestamp == "timestamp_text":
        casts["timestamp_text"] = Cast("timestamp", TextField())
    rows = (
        LogEntry.objects.filter(sequence__gte=first, sequence__lte=last)
        .order_by("sequence")
        .annotate(**casts)
        .values_list(
            "pk",
            "sequence",
            "prev_hash",
            "entry_hash",
            "content_type_id",
            "object_pk",
            "object_id",
            "object_repr",
            "serialized_text",
            "action",
            "changes_text",
            "changes_json",
            "actor_id",
            "actor_email",
            "cid",
            "remote_addr",
            "remote_port",
            timestamp,
            "additional_text",
        )
    )
    return rows.iterator(chunk_size=batch_size)


def _timestamp(value: datetime | str) -> datetime:
    """A timestamp column's value: a datetime (PostgreSQL) or SQLite's text, naive UTC."""
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = parse_datetime(value) or datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _content_type_keys() -> dict[int, str]:
    return {pk: f"{app}.{model}" for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}


def scan_range(first: int, last: int, *, expected_prev: str | None, batch_size: int = 2000) -> _Scan:
    """Verify entries ``first..last``: numbering, each hash, each link.

    The first entry must link to ``expected_prev``; with ``None`` (a range read in
    parallel with the one before it) its link is left to ``_join``.
    """
    content_types = _content_type_keys()
    with _read_transaction():
        return _scan_rows(_rows(first, last, batch_size), first, expected_prev, content_types)


def _read_transaction() -> contextlib.AbstractContextManager[Any]:
    """On PostgreSQL, read inside a transaction so the server-side cursor streams.

    Outside one, Django declares the cursor ``WITH HOLD`` and PostgreSQL computes every
    row before the first is sent. SQLite reads outside a transaction: its transactions
    start IMMEDIATE here and would block every writer for as long as the check runs.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def _scan_rows(
    rows: Iterator[tuple[Any, ...]], first: int, expected_prev: str | None, content_types: dict[int, str]
) -> _Scan:
    expected_sequence, count, last_id = first, 0, None
    first_row: tuple[int, int, str] | None = None
    payload, sha256, loads, read_timestamp = entry_payload, hashlib.sha256, canonical_json_text, _timestamp

    def scanned(broken: _Break | None = None) -> _Scan:
        head = first_row or (None, None, None)
        return _Scan(count, expected_prev or "", last_id, expected_sequence, broken, *head)

    for row in rows:
        (pk, sequence, prev_hash, entry_hash, ct_id, object_pk, object_id, object_repr, serialized) = row[:9]
        (action, changes_text, changes, actor_id, actor_email, cid, remote_addr, remote_port) = row[9:17]
        timestamp, additional = row[17:]
        if first_row is None:
            first_row = (sequence, pk, prev_hash)
            if expected_prev is None:
                expected_prev = prev_hash
        if sequence != expected_sequence:
            detail = f"expected #{expected_sequence}; entries #{expected_sequence} to #{sequence - 1} are missing"
            return scanned(_Break(sequence, pk, SEQUENCE_GAP, detail))
        content_type = content_types.get(ct_id)
        if content_type is None:
            content_types = _content_type_keys()  # a type created while verifying
            content_type = content_types.get(ct_id, "")
        computed = sha256(
            payload(
                sequence=sequence,
                prev_hash=prev_hash,
                content_type_key=content_type,
                object_pk=object_pk,
                object_id=object_id,
                object_repr=object_repr,
                serialized_data=loads(serialized),
                action=action,
                changes_text=changes_text,
                changes=loads(changes),
                actor_id=actor_id,
                actor_email=actor_email,
                cid=cid,
                remote_addr=remote_addr,
                remote_port=remote_port,
                timestamp=read_timestamp(timestamp),
                additional_data=loads(additional),
            )
        ).hexdigest()
        if computed != entry_hash:
            return scanned(_Break(sequence, pk, HASH_MISMATCH, "the entry was changed after it was written"))
        if prev_hash != expected_prev:
            return scanned(_Break(sequence, pk, BROKEN_LINK, "it does not point at the hash of the entry before it"))
        count += 1
        last_id = pk
        expected_sequence += 1
        expected_prev = entry_hash
    return scanned()


def _join(scans: Sequence[_Scan], *, start: int, expected_prev: str) -> _Scan:
    """The ranges read in parallel, joined into what one pass in sequence order finds.

    Each range checked its own entries; here the first entry of each is checked against
    the end of the one before, in the order a single pass checks: numbering, hash, link.
    """
    count, last_id, expected_sequence = 0, None, start
    for scan in scans:
        if scan.first_sequence is None:  # nothing in this range: a gap the next range shows
            continue
        if scan.first_sequence != expected_sequence:
            missing = f"entries #{expected_sequence} to #{scan.first_sequence - 1} are missing"
            broken = _Break(
                scan.first_sequence, scan.first_id, SEQUENCE_GAP, f"expected #{expected_sequence}; {missing}"
            )
            return _Scan(count, expected_prev, last_id, expected_sequence, broken)
        first_broken = scan.broken is not None and scan.broken.sequence == scan.first_sequence
        if scan.first_prev != expected_prev and not first_broken:
            broken = _Break(
                scan.first_sequence, scan.first_id, BROKEN_LINK, "it does not point at the hash of the entry before it"
            )
            return _Scan(count, expected_prev, last_id, expected_sequence, broken)
        count += scan.count
        if scan.broken is not None:
            return _Scan(count, expected_prev, last_id, expected_sequence, scan.broken)
        last_id, expected_sequence, expected_prev = scan.last_id, scan.next_sequence, scan.last_hash
    return _Scan(count, expected_prev, last_id, expected_sequence)


def _can_use_processes() -> bool:
    """Other processes see only committed rows of a database on disk."""
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())  # type: ignore[attr-defined]


def scan_all(
    start: int, end: int, *, expected_prev: str, batch_size: int = 2000, workers: int = 1, parallel_min: int = 0
) -> _Scan:
    """``start..end`` in ``workers`` ranges, read by as many processes when that pays, then joined."""
    total = end - start + 1
    if workers < 2 or total < max(parallel_min, workers):
        return scan_range(start, end, expected_prev=expected_prev, batch_size=batch_size)
    size = -(-total // workers)
    ranges = [(first, min(first + size - 1, end)) for first in range(start, end + 1, size)]
    prevs: list[str | None] = [expected_prev] + [None] * (len(ranges) - 1)
    scans = None
    if _can_use_processes():
        from audits import verify_worker

        try:
            scans = verify_worker.scan_in_processes(ranges, prevs, batch_size)
        except verify_worker.WorkerError as exc:
            log.warning("audit-trail verification: a worker process failed, reading here instead: %s", exc)
    if scans is None:
        pairs = zip(ranges, prevs, strict=True)
        scans = [scan_range(a, b, expected_prev=prev, batch_size=batch_size) for (a, b), prev in pairs]
    return _join(scans, start=start, expected_prev=expected_prev)


def verify_chain(
    *, batch_size: int = 2000, after: Anchor | None = None, workers: int | None = None, parallel_min: int | None = None
) -> ChainResult:
    """Check every entry's hash, its link to the entry before, the sequence and the head.

    With ``after``, only the entries beyond that anchor are read (incremental): the
    first of them must link to the anchor's hash. Long stretches are read by
    ``workers`` processes (default: ``default_workers()``) once there are
    ``parallel_min`` entries or more.
    """
    head = ChainHead.current()
    start = 1 if after is None else after.sequence + 1
    expected_prev = GENESIS_HASH if after is None else after.entry_hash

    def broken(entry_sequence: int, entry_id: int | None, reason: str, detail: str, count: int) -> ChainResult:
        return ChainResult(
            ok=False,
            count=count,
            head_sequence=head.sequence,
            head_hash=head.last_hash,
            sequence=entry_sequence,
            entry_id=entry_id,
            reason=reason,
            detail=detail,
            anchor=after,
        )

    if after is not None and after.sequence > head.sequence:
        return broken(
            head.sequence + 1,
            None,
            HEAD_MISMATCH,
            f"the chain head is at #{head.sequence}, behind #{after.sequence} of {after.label or 'the anchor'}",
            0,
        )
    scan = scan_all(
        start,
        head.sequence,
        expected_prev=expected_prev,
        batch_size=batch_size,
        workers=default_workers() if workers is None else workers,
        parallel_min=PARALLEL_MIN_ENTRIES if parallel_min is None else parallel_min,
    )
    if scan.broken is not None:
        b = scan.broken
        return broken(b.sequence, b.entry_id, b.reason, b.detail, scan.count)
    last_sequence = scan.next_sequence - 1
    if last_sequence != head.sequence:
        return broken(
            last_sequence + 1,
            None,
            HEAD_MISMATCH,
            f"the chain head records {head.sequence} entries but the trail ends at #{last_sequence}",
            scan.count,
        )
    if scan.last_hash != head.last_hash:
        return broken(
            last_sequence,
            scan.last_id,
            HEAD_MISMATCH,
            "the last entry's hash is not the one the chain head recorded",
            scan.count,
        )
    # Entries committed beyond the head (read after them) mean the head was moved back.
    newest = LogEntry.objects.aggregate(newest=Max("sequence"))["newest"] or 0
    if newest > ChainHead.current().sequence:
        return broken(newest, None, HEAD_MISMATCH, f"entry #{newest} lies beyond the chain head", scan.count)
    return ChainResult(ok=True, count=scan.count, head_sequence=head.sequence, head_hash=head.last_hash, anchor=after)


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
