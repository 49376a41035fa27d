"""Checking the trail against checkpoints, and making new ones."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from audits.chain import Anchor, ChainResult, verify_chain
from audits.checkpoints.format import Checkpoint, CheckpointRefusedError, ReadResult, Sourced, sign_checkpoint
from audits.checkpoints.stores import checkpoint_store, held_checkpoints
from audits.models import GENESIS_HASH, ChainHead, LogEntry
from core import signing

log = logging.getLogger(__name__)

_LOOKUP_CHUNK = 500

MATCHES = "matches"
CONTRADICTED = "contradicted"
REFUSED = "refused"


@dataclass(frozen=True)
class CheckpointCheck:
    checkpoint: Checkpoint
    source: str
    status: str
    detail: str = ""
    signature_checked: bool = True

    def line(self) -> str:
        if self.status == MATCHES:
            return f"OK {self.checkpoint.label}: matches ({self.source})"
        word = "CONTRADICTED" if self.status == CONTRADICTED else "REFUSED"
        return f"{word} {self.checkpoint.label} ({self.source}): {self.detail}"


def _stored_hashes(sequences: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(sequences), _LOOKUP_CHUNK):
        chunk = sequences[start : start + _LOOKUP_CHUNK]
        found.update(LogEntry.objects.filter(sequence__in=chunk).values_list("sequence", "entry_hash"))
    return found


def _refused(item: Sourced, keys: dict[str, str]) -> CheckpointCheck:
    known = "" if item.checkpoint.key_id in keys else " (the key is not one this trail trusts)"
    return CheckpointCheck(item.checkpoint, item.source, REFUSED, f"the signature does not verify{known}")


def check_checkpoints(
    checkpoints: Sequence[Sourced],
    *,
    head_sequence: int,
    trusted_public_keys: dict[str, str] | None = None,
    all_signatures: bool = True,
) -> list[CheckpointCheck]:
    """Whether the entry at each checkpoint's sequence still has its hash, and each signature.

    Checkpoints are taken in sequence order; a contradiction names the newest earlier
    checkpoint that still matches, which bounds where the rewrite began.

    Without ``all_signatures`` (the daily run; a year of hourly checkpoints costs about a
    second of Ed25519), the signatures of held checkpoints that match the trail are left
    to the full run, except the newest one's, which anchors the incremental check. That
    leaves the verdict on the trail unchanged: a checkpoint that matches cannot hide a
    rewrite, and every contradiction and every checkpoint handed in (``--checkpoints``)
    is checked. A forged line in the file is then reported by the full run.
    """
    keys = signing.known_public_keys() if trusted_public_keys is None else trusted_public_keys
    unique: dict[tuple[Any, ...], Sourced] = {}
    for item in sorted(checkpoints, key=lambda s: s.held):  # a copy handed in counts over the held one
        unique.setdefault(tuple(item.checkpoint.as_json().values()), item)
    ordered = sorted(unique.values(), key=lambda s: (s.checkpoint.sequence, s.checkpoint.created_at))
    stored = _stored_hashes(sorted({item.checkpoint.sequence for item in ordered if item.checkpoint.sequence > 0}))
    checks: list[CheckpointCheck] = []
    last_match: Checkpoint | None = None
    for item in ordered:
        cp = item.checkpoint
        problem = _contradiction(cp, stored, head_sequence)
        deferred = problem is None and item.held and not all_signatures
        if not deferred and not cp.signature_ok(keys):
            checks.append(_refused(item, keys))
        elif problem is None:
            checks.append(CheckpointCheck(cp, item.source, MATCHES, signature_checked=not deferred))
            last_match = cp
        else:
            since = f" (after #{last_match.sequence}, which still matches)" if last_match is not None else ""
            detail = f"{problem}; the trail was rewritten at or before #{cp.sequence}{since}"
            checks.append(CheckpointCheck(cp, item.source, CONTRADICTED, detail))
    return _check_anchor(checks, keys)


def _check_anchor(checks: list[CheckpointCheck], keys: dict[str, str]) -> list[CheckpointCheck]:
    """Check deferred signatures from the newest match down until one verifies: that one anchors."""
    for index in range(len(checks) - 1, -1, -1):
        check = checks[index]
        if check.status != MATCHES or check.checkpoint.sequence == 0:
            continue
        if check.signature_checked:
            break
        if check.checkpoint.signature_ok(keys):
            checks[index] = dataclasses.replace(check, signature_checked=True)
            break
        checks[index] = _refused(Sourced(check.checkpoint, check.source), keys)
    return checks


def _contradiction(cp: Checkpoint, stored: dict[int, str], head_sequence: int) -> str | None:
    if cp.sequence == 0:
        return None if cp.entry_hash == GENESIS_HASH else "a checkpoint of the empty trail with a hash"
    if cp.sequence > head_sequence:
        return f"the chain head is at #{head_sequence}, before this checkpoint's #{cp.sequence}"
    found = stored.get(cp.sequence)
    if found is None:
        return f"entry #{cp.sequence} is missing"
    if found != cp.entry_hash:
        return f"entry #{cp.sequence} now has hash {found[:16]}…, the checkpoint signed {cp.entry_hash[:16]}…"
    return None


@dataclass(frozen=True)
class VerificationReport:
    """A chain verification together with the checkpoints it was checked against."""

    chain: ChainResult
    checks: list[CheckpointCheck]
    problems: list[str]

    @property
    def contradicted(self) -> list[CheckpointCheck]:
        return [c for c in self.checks if c.status == CONTRADICTED]

    @property
    def refused(self) -> list[CheckpointCheck]:
        return [c for c in self.checks if c.status == REFUSED]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.contradicted and not self.refused and not self.problems

    def lines(self) -> list[str]:
        lines = [self.chain.summary()]
        if self.checks or self.problems:
            matching = sum(1 for c in self.checks if c.status == MATCHES)
            deferred = sum(1 for c in self.checks if not c.signature_checked)
            lines.append(
                f"Checkpoints: {len(self.checks)} checked, {matching} match, "
                f"{len(self.contradicted)} contradicted, {len(self.refused)} refused"
                + (f", {len(self.problems)} unreadable" if self.problems else "")
                + (f" ({deferred} signatures of matching ones left to --full)" if deferred else "")
            )
        lines += [c.line() for c in self.checks if c.status != MATCHES]
        lines += [f"UNREADABLE {problem}" for problem in self.problems]
        return lines

    def summary(self) -> str:
        return "\n".join(self.lines())


def verify_trail(
    *,
    extra: ReadResult | None = None,
    full: bool = False,
    held: bool = True,
    trusted_public_keys: dict[str, str] | None = None,
    batch_size: int = 2000,
) -> VerificationReport:
    """Check the checkpoints (held ones and ``extra``), then the chain.

    Incremental unless ``full``: the chain is read only after the newest checkpoint
    that still matches; what lies before it was verified when that checkpoint was
    signed, and a rewrite of it would contradict the checkpoint. ``full`` also checks
    the signature of every held checkpoint (see ``check_checkpoints``).
    """
    found = held_checkpoints() if held else ReadResult()
    if extra is not None:
        found.extend(extra)
    head = ChainHead.current()  # after reading the checkpoints: none lies beyond it unless entries went
    checks = check_checkpoints(
        found.checkpoints, head_sequence=head.sequence, trusted_public_keys=trusted_public_keys, all_signatures=full
    )
    anchor = None
    matching = [
        c.checkpoint for c in checks if c.status == MATCHES and c.signature_checked and c.checkpoint.sequence > 0
    ]
    if matching and not full:
        newest = max(matching, key=lambda cp: cp.sequence)
        anchor = Anchor(newest.sequence, newest.entry_hash, newest.label)
    chain = verify_chain(batch_size=batch_size, after=anchor)
    return VerificationReport(chain=chain, checks=checks, problems=found.problems)


def verify_since_checkpoints(*, full: bool = False) -> VerificationReport:
    """The scheduled check: the trail against the checkpoints this system holds, incremental unless ``full``."""
    return verify_trail(full=full)


def make_checkpoint(*, reason: str) -> Checkpoint:
    """Sign a checkpoint of the chain head now and append it to the checkpoint file.

    The trail is verified first (from the newest checkpoint that matches, so this is
    quick once checkpoints exist): a checkpoint never vouches for a broken trail or one
    that contradicts a genuine checkpoint, and ``CheckpointRefusedError`` says why.
    ``reason`` (``hourly``, ``evidence pack`` ...) goes to the log.
    """
    report = verify_since_checkpoints()
    # Forged or unreadable lines in the file say nothing about the trail: the verification
    # reports them; a broken chain or a contradicted checkpoint is what forbids signing.
    if not report.chain.ok or report.contradicted:
        raise CheckpointRefusedError(f"No checkpoint signed: the audit trail does not verify.\n{report.summary()}")
    checkpoint = sign_checkpoint(sequence=report.chain.head_sequence, entry_hash=report.chain.head_hash)
    store = checkpoint_store()
    store.append(checkpoint)
    log.info("audit checkpoint #%s (%s) written to %s", checkpoint.sequence, reason, store.describe())
    return checkpoint


def latest_checkpoint() -> Checkpoint | None:
    """The checkpoint appended last (signature not checked), for the audit-trail page."""
    return checkpoint_store().latest()


def download_lines() -> Iterator[bytes]:
    """The checkpoint file as held, line by line, for the download on the audit-trail page."""
    with contextlib.suppress(FileNotFoundError):
        yield from checkpoint_store().lines()
