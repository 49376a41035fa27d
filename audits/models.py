"""Audit trail: django-auditlog entries chained by SHA-256.

Each entry carries a sequence number, the hash of the entry before it and its own
hash over its content. ``ChainHead`` is a single row holding the last sequence
number and hash; writers lock it (``SELECT ... FOR UPDATE`` on PostgreSQL, an
IMMEDIATE transaction on SQLite), so concurrent writers never fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from auditlog.models import AbstractLogEntry
from django.db import models, transaction

GENESIS_HASH = "0" * 64


class LogEntry(AbstractLogEntry):
    sequence = models.PositiveBigIntegerField(unique=True, null=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta(AbstractLogEntry.Meta):
        swappable = "AUDITLOG_LOGENTRY_MODEL"
        indexes = [
            models.Index(fields=["actor", "-timestamp"]),
            models.Index(fields=["content_type", "object_pk"]),
        ]

    def canonical_payload(self) -> bytes:
        """The bytes the entry hash covers: every field that says what happened."""
        data: dict[str, Any] = {
            "sequence": self.sequence,
            "prev_hash": self.prev_hash,
            "content_type": self.content_type_id,
            "object_pk": self.object_pk,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "serialized_data": self.serialized_data,
            "action": int(self.action),
            "changes_text": self.changes_text,
            "changes": self.changes,
            "actor": self.actor_id,
            "actor_email": self.actor_email,
            "cid": self.cid,
            "remote_addr": self.remote_addr,
            "remote_port": self.remote_port,
            "timestamp": self.timestamp.isoformat(timespec="microseconds"),
            "additional_data": self.additional_data,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical_payload()).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit-trail entries are append-only.")
        with transaction.atomic():
            head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
            self.sequence = head.sequence + 1
            self.prev_hash = head.last_hash
            self.entry_hash = self.compute_hash()
            super().save(*args, **kwargs)
            head.sequence = self.sequence
            head.last_hash = self.entry_hash
            head.save(update_fields=["sequence", "last_hash"])


class ChainHead(models.Model):
    """The end of the audit chain: one row, locked by every writer."""

    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit chain head at {self.sequence}"
