"""Helpers for the audit-trail tests: writing entries, and tampering like an attacker."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from audits.models import ChainHead, LogEntry


def write_entries(count: int, *, repr_size: int = 0, **fields: Any) -> list[LogEntry]:
    """``count`` chained entries written one by one through ``save()``."""
    content_type = ContentType.objects.get_for_model(Group)
    entries = []
    for i in range(count):
        entry = LogEntry(
            content_type=content_type,
            object_pk=str(i),
            object_id=i,
            object_repr=(f"group {i} " + "x" * repr_size),
            action=LogEntry.Action.UPDATE,
            changes={"name": [f"old {i}", f"new {i}"]},
            **fields,
        )
        entry.save()
        entries.append(entry)
    return entries


def chain_entries() -> list[LogEntry]:
    return list(LogEntry.objects.order_by("sequence"))


@contextlib.contextmanager
def as_attacker() -> Iterator[None]:
    """Switch off PostgreSQL's append-only triggers, as someone owning the tables could.

    Pending deferred foreign-key checks are run first: PostgreSQL refuses to ALTER a
    table with pending trigger events. On SQLite there is nothing to switch off.
    """
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audits_logentry DISABLE TRIGGER audits_logentry_append_only")
            cursor.execute("ALTER TABLE audits_chainhead DISABLE TRIGGER audits_chainhead_forward_only")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE audits_logentry ENABLE TRIGGER audits_logentry_append_only")
                cursor.execute("ALTER TABLE audits_chainhead ENABLE TRIGGER audits_chainhead_forward_only")


def rewrite_from(sequence: int, **changes: Any) -> None:
    """Rewrite entry ``sequence`` as someone with write access to the database could.

    The entry is changed, then the hash of every later entry is recomputed with the
    project's own ``compute_hash`` (each link included) and the chain head is moved to
    the new last hash: the chain verifies again on its own.
    """
    with as_attacker():
        prev_hash = None
        for entry in LogEntry.objects.filter(sequence__gte=sequence).order_by("sequence"):
            if prev_hash is None:
                for name, value in changes.items():
                    setattr(entry, name, value)
            else:
                entry.prev_hash = prev_hash
            entry.entry_hash = entry.compute_hash()
            LogEntry.objects.filter(pk=entry.pk).update(
                prev_hash=entry.prev_hash, entry_hash=entry.entry_hash, **{k: getattr(entry, k) for k in changes}
            )
            prev_hash = entry.entry_hash
        ChainHead.objects.filter(pk=1).update(last_hash=prev_hash)
