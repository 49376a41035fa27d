"""Scheduled jobs of the audits app."""

from __future__ import annotations

from typing import Any

from audits.chain import verify_chain
from workbench.jobs_registry import job


class AuditTrailBrokenError(Exception):
    """The hash chain did not verify; the job run is marked failed with this message."""


@job(
    "audits.verify_audit_trail",
    description="Verify the audit trail's hash chain and report the first broken entry.",
    cron="15 3 * * *",
)
def verify_audit_trail(run: Any) -> str:
    """Daily check of the chain. The output names the head, so each run anchors it in the job history."""
    result = verify_chain()
    if not result.ok:
        raise AuditTrailBrokenError(result.summary())
    return f"{result.summary()}; head #{result.head_sequence} sha256 {result.head_hash}"
