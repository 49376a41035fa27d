"""Signed checkpoints: the audit trail anchored outside the database.

A checkpoint says "entry #N of the chain had hash H at time T", signed with the
instance's Ed25519 key (``core.signing``), whose private half is not in the
database. Someone who can write to the database can rewrite an entry and re-hash
every later one so that the chain verifies again; they cannot re-sign the
checkpoints already handed out, so the rewrite contradicts every checkpoint taken
after the entry they changed.

Format: JSON Lines, one checkpoint per line, each the canonical JSON (sorted keys,
no spaces, ASCII) of ``{"created_at", "entry_hash", "key_id", "sequence", "signature"}``;
the signature covers the canonical JSON of the other four fields. The same object
travels in other documents:

* an evidence-pack or backup manifest carries one under ``"audit_checkpoint"``
  (or a list under ``"audit_checkpoints"``);
* a ZIP (an evidence pack) may hold checkpoint files (``*.jsonl``) or such a
  ``manifest.json``; ``read_checkpoints`` looks inside.

Every checkpoint is appended to the checkpoint file, ``settings.RAMPART_CHECKPOINT_FILE``
(default ``<var>/audit/checkpoints.jsonl``), or, when ``settings.RAMPART_CHECKPOINT_STORAGE``
names a Django storage, written there as one small object per checkpoint under
``audit-checkpoints/``. That file is the anchor: copy it off the machine, or let the
hourly job mail each checkpoint to the Administrators.
"""

from audits.checkpoints.format import (
    MANIFEST_FIELD,
    MANIFEST_LIST_FIELD,
    Checkpoint,
    CheckpointFormatError,
    CheckpointRefusedError,
    ReadResult,
    Sourced,
    canonical_bytes,
    checkpoint_as_json,
    parse_lines,
    read_checkpoints,
    sign_checkpoint,
)
from audits.checkpoints.stores import (
    CheckpointStore,
    FileCheckpointStore,
    StorageCheckpointStore,
    checkpoint_store,
    held_checkpoints,
)
from audits.checkpoints.verify import (
    CONTRADICTED,
    MATCHES,
    REFUSED,
    CheckpointCheck,
    VerificationReport,
    check_checkpoints,
    download_lines,
    latest_checkpoint,
    make_checkpoint,
    verify_since_checkpoints,
    verify_trail,
)

__all__ = [
    "CONTRADICTED",
    "MANIFEST_FIELD",
    "MANIFEST_LIST_FIELD",
    "MATCHES",
    "REFUSED",
    "Checkpoint",
    "CheckpointCheck",
    "CheckpointFormatError",
    "CheckpointRefusedError",
    "CheckpointStore",
    "FileCheckpointStore",
    "ReadResult",
    "Sourced",
    "StorageCheckpointStore",
    "VerificationReport",
    "canonical_bytes",
    "check_checkpoints",
    "checkpoint_as_json",
    "checkpoint_store",
    "download_lines",
    "held_checkpoints",
    "latest_checkpoint",
    "make_checkpoint",
    "parse_lines",
    "read_checkpoints",
    "sign_checkpoint",
    "verify_since_checkpoints",
    "verify_trail",
]
