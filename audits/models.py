"""Audit trail: django-auditlog entries chained by SHA-256.

Each entry carries a sequence number, the hash of the entry before it and its own
hash over its content. ``ChainHead`` is a single row holding the last sequence
number and hash; writers lock it (``SELECT ... FOR UPDATE`` on PostgreSQL, an
IMMEDIATE transaction on SQLite), so concurrent writers never fork the chain.

The hash must come out the same when an entry is read back from SQLite or from
PostgreSQL, so it is computed over a canonical form of every field: sorted JSON
keys, numbers as PostgreSQL's ``jsonb`` gives them back, timestamps in UTC with
microseconds, IP addresses in their normal written form and the content type by
its natural key (ids differ between databases after a restore).

Entries are append-only: saving an existing entry, deleting one and bulk writes
are refused here, and on PostgreSQL a trigger refuses UPDATE and DELETE on the
table itself (migration 0002).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

GENESIS_HASH = "0" * 64
HASH_VERSION = 1
CID_MAX_LENGTH = 255


class AppendOnlyError(Exception):
    """Someone tried to change or remove an audit-trail entry."""


def canonical_json(value: Any) -> Any:
    """``value`` as it reads back from a JSON column on SQLite and PostgreSQL alike.

    JSON round-trip first (tuples become lists, non-string keys become strings),
    then integral floats become the integer ``jsonb`` returns for them
    (``1.0`` -> ``1``, ``1e+20`` -> ``100000000000000000000``).
    """
    return _canonical_numbers(json.loads(json.dumps(value)))


def _canonical_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))
    if isinstance(value, dict):
        return {key: _canonical_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_numbers(item) for item in value]
    return value


@functools.lru_cache(maxsize=4096)
def canonical_ip(value: Any) -> str | None:
    """One written form per address (``2001:0DB8::0001`` -> ``2001:db8::1``); few addresses recur, so cached."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_interface(str(value).strip()).ip)
    except ValueError:
        return str(value)


def canonical_timestamp(value: datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json_text(text: str | None) -> Any:
    """``canonical_json`` of the value a JSON column holds, parsed from the column's text.

    The verifier reads JSON columns as text and parses them here in one pass: what
    the database stores is JSON already, so the round-trip of ``canonical_json`` is a
    no-op and only integral floats need turning into integers.
    """
    if text is None:
        return None
    try:  # what the column holds starts and ends with the value; ``decode`` also strips spaces
        value, end = _CANONICAL_DECODER.raw_decode(text)
    except ValueError:
        return _CANONICAL_DECODER.decode(text)
    return value if end == len(text) else _CANONICAL_DECODER.decode(text)


def _canonical_float(text: str) -> float | int:
    value = float(text)
    return int(Decimal(repr(value))) if value.is_integer() else value


_CANONICAL_DECODER = json.JSONDecoder(parse_float=_canonical_float)
# ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)``, made once; values
# read from a database cannot be circular, so that check is left out (same output).
_PAYLOAD_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, check_circular=False)


def entry_payload(
    *,
    sequence: int,
    prev_hash: str,
    content_type_key: str,
    object_pk: Any,
    object_id: int | None,
    object_repr: str,
    serialized_data: Any,
    action: int,
    changes_text: str,
    changes: Any,
    actor_id: int | None,
    actor_email: str | None,
    cid: str | None,
    remote_addr: Any,
    remote_port: int | None,
    timestamp: datetime,
    additional_data: Any,
) -> bytes:
    """The one definition of what an entry's hash covers, from the entry's raw values.

    JSON values (``serialized_data``, ``changes``, ``additional_data``) must already be
    in canonical form (``canonical_json`` or ``canonical_json_text``); everything else
    is canonicalised here. ``LogEntry.canonical_payload`` and the streaming verifier
    (``audits.chain``), which never builds model instances, both call this.
    """
    data: dict[str, Any] = {
        "v": HASH_VERSION,
        "sequence": sequence,
        "prev_hash": prev_hash,
        "content_type": content_type_key,
        "object_pk": None if object_pk is None else str(object_pk),
        "object_id": None if object_id is None else int(object_id),
        "object_repr": object_repr,
        "serialized_data": serialized_data,
        "action": int(action),
        "changes_text": changes_text,
        "changes": changes,
        "actor": actor_id,
        "actor_email": actor_email,
        "cid": cid,
        "remote_addr": canonical_ip(remote_addr),
        "remote_port": remote_port,
        "timestamp": canonical_timestamp(timestamp),
        "additional_data": additional_data,
    }
    return _PAYLOAD_ENCODER.encode(data).encode()


def hash_payload(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


class LogEntryQuerySet(models.QuerySet):
    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit-trail entries are written one by one, so each is chained.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit-trail entries are append-only.")


class ChainedLogEntryManager(LogEntryManager.from_queryset(LogEntryQuerySet)):  # type: ignore[misc]
    """auditlog's manager (``log_create`` ...) over a queryset that refuses bulk writes."""


class LogEntry(AbstractLogEntry):
    # Users and content types with history cannot be deleted: a SET NULL or CASCADE
    # would rewrite or remove entries and so break the chain.
    actor = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        blank=True,
        null=True,
        related_name="+",
        verbose_name="actor",
    )
    content_type = models.ForeignKey(
        to="contenttypes.ContentType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="content type",
    )
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(max_length=64, blank=True, editable=False)

    # Fields inherited from auditlog (untyped) that this class writes to.
    object_pk: str
    cid: str | None
    remote_addr: str | None

    objects = ChainedLogEntryManager()

    class Meta(AbstractLogEntry.Meta):
        swappable = "AUDITLOG_LOGENTRY_MODEL"
        ordering = ["-sequence"]
        get_latest_by = "sequence"
        indexes = [
            models.Index(fields=["actor", "-timestamp"]),
            models.Index(fields=["content_type", "object_pk"]),
        ]

    def content_type_key(self) -> str:
        """``app_label.model``: stable across databases, unlike the content type id."""
        ct = ContentType.objects.get_for_id(self.content_type_id)
        return f"{ct.app_label}.{ct.model}"

    def canonical_payload(self) -> bytes:
        """The bytes the entry hash covers: every field that says what happened."""
        return entry_payload(
            sequence=self.sequence,
            prev_hash=self.prev_hash,
            content_type_key=self.content_type_key(),
            object_pk=self.object_pk,
            object_id=self.object_id,
            object_repr=self.object_repr,
            serialized_data=canonical_json(self.serialized_data),
            action=self.action,
            changes_text=self.changes_text,
            changes=canonical_json(self.changes),
            actor_id=self.actor_id,
            actor_email=self.actor_email,
            cid=self.cid,
            remote_addr=self.remote_addr,
            remote_port=self.remote_port,
            timestamp=self.timestamp,
            additional_data=canonical_json(self.additional_data),
        )

    def compute_hash(self) -> str:
        return hash_payload(self.canonical_payload())

    @property
    def hash_matches(self) -> bool:
        return bool(self.entry_hash) and self.compute_hash() == self.entry_hash

    def _normalise(self) -> None:
        """Hold in memory what the database will hand back."""
        self.object_pk = str(self.object_pk)
        self.remote_addr = canonical_ip(self.remote_addr)
        if self.cid is not None:
            self.cid = str(self.cid)[:CID_MAX_LENGTH]
        for name in ("serialized_data", "changes", "additional_data"):
            setattr(self, name, canonical_json(getattr(self, name)))

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or self.pk is not None:
            raise AppendOnlyError("Audit-trail entries are append-only.")
        # No savepoint: if the INSERT fails, the change it records must not commit either.
        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)

    def _save_table(self, raw: bool = False, cls: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Chain the entry at the last moment, after every ``pre_save`` receiver.

        auditlog fills in the actor, remote address and extra data in a ``pre_save``
        receiver, so the hash can only be taken here, just before the INSERT. Raw
        saves (fixtures, restores) keep the chain fields they carry.
        """
        if raw:
            return super()._save_table(raw, cls, *args, **kwargs)
        self._normalise()
        head = ChainHead.locked()
        self.sequence = head.sequence + 1
        self.prev_hash = head.last_hash
        self.entry_hash = self.compute_hash()
        result = super()._save_table(raw, cls, *args, **kwargs)
        head.advance(sequence=self.sequence, last_hash=self.entry_hash)
        return result

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit-trail entries are append-only.")

    @property
    def actor_label(self) -> str:
        if self.actor_email:
            return self.actor_email
        if self.actor_id is not None and self.actor is not None:
            return self.actor.email
        return "system"

    def changes_summary(self, limit: int = 3, width: int = 60) -> str:
        """A one-line summary of the changes for lists: ``field: old → new; ...``."""
        parts = [_describe_change(field, value, width) for field, value in (self.changes or {}).items()]
        if not parts:
            return ""
        more = len(parts) - limit
        text = "; ".join(parts[:limit])
        return f"{text}; and {more} more" if more > 0 else text

    def change_rows(self) -> list[tuple[str, str, str]]:
        """``(field, before, after)`` for every change; m2m changes say what was added or removed."""
        rows = []
        for field, value in (self.changes or {}).items():
            if isinstance(value, dict) and value.get("type") == "m2m":
                objects = ", ".join(str(o) for o in value.get("objects", []))
                if value.get("operation") == "add":
                    rows.append((field, "", f"added: {objects}"))
                else:
                    rows.append((field, f"removed: {objects}", ""))
            elif isinstance(value, list | tuple) and len(value) == 2:
                rows.append((field, str(value[0]), str(value[1])))
            else:
                rows.append((field, "", json.dumps(value, sort_keys=True)))
        return rows


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe_change(field: str, value: Any, width: int) -> str:
    if isinstance(value, dict) and value.get("type") == "m2m":
        verb = "added" if value.get("operation") == "add" else "removed"
        objects = ", ".join(str(o) for o in value.get("objects", []))
        return _shorten(f"{field} {verb}: {objects}", width)
    if isinstance(value, list | tuple) and len(value) == 2:
        return _shorten(f"{field}: {value[0]} → {value[1]}", width)
    return _shorten(f"{field}: {json.dumps(value, sort_keys=True)}", width)


class ChainHead(models.Model):
    """The end of the audit chain: one row, locked by every writer."""

    sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audits_chainhead_single_row")]

    def __str__(self) -> str:
        return f"audit chain head at {self.sequence}"

    @classmethod
    def locked(cls) -> ChainHead:
        """The head row, locked until the surrounding transaction ends."""
        head, _ = cls.objects.select_for_update().get_or_create(pk=1)
        return head

    @classmethod
    def current(cls) -> ChainHead:
        """The committed head, or an empty one when nothing was written yet."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def advance(self, *, sequence: int, last_hash: str) -> None:
        self.sequence, self.last_hash = sequence, last_hash
        self.save(update_fields=["sequence", "last_hash"])


# Evidence, engagements, evidence requests and pack builds live beside the trail (same app).
from audits.engagement_models import (  # noqa: E402
    Engagement,
    Evidence,
    EvidenceRequest,
    EvidenceRequestComment,
    PackBuild,
)

__all__ = [
    "ChainHead",
    "Engagement",
    "Evidence",
    "EvidenceRequest",
    "EvidenceRequestComment",
    "LogEntry",
    "PackBuild",
]
