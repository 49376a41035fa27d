"""Scheduled jobs of the audits app: checkpoints of the trail, and its verification."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from access.models import Role, User
from audits.checkpoints import Checkpoint, CheckpointRefusedError, VerificationReport, make_checkpoint, verify_trail
from core.jobs_registry import job, task


class AuditTrailBrokenError(Exception):
    """The hash chain or a checkpoint did not verify; the job run is marked failed with this message."""


def _outcome(report: VerificationReport) -> str:
    if not report.ok:
        raise AuditTrailBrokenError(report.summary())
    head = report.chain
    return f"{report.summary()}\nhead #{head.head_sequence} sha256 {head.head_hash}"


@job(
    "audits.verify_audit_trail",
    description="Verify the audit trail against its checkpoints: the entries after the newest one that matches.",
    cron="15 3 * * *",
)
def verify_audit_trail(run: Any) -> str:
    """Daily, incremental: every held checkpoint is checked, then only the entries after the newest match.

    The output names the head, so each run also anchors it in the job history.
    """
    return _outcome(verify_trail())


@job(
    "audits.verify_audit_trail_full",
    description="Verify the whole audit trail from its first entry, and every checkpoint.",
    cron="45 3 * * 0",
)
def verify_audit_trail_full(run: Any) -> str:
    """Weekly, full: also catches an old entry edited without re-hashing, which the daily run does not read."""
    return _outcome(verify_trail(full=True))


@job(
    "audits.audit_checkpoint",
    description="Sign a checkpoint of the audit trail and append it to the checkpoint file (and mail it when set).",
    cron="5 * * * *",
)
def audit_checkpoint(run: Any) -> str:
    try:
        checkpoint = make_checkpoint(reason="hourly")
    except CheckpointRefusedError as exc:
        raise AuditTrailBrokenError(str(exc)) from exc
    output = f"Checkpoint #{checkpoint.sequence} sha256 {checkpoint.entry_hash} (key {checkpoint.key_id})"
    if getattr(settings, "RAMPART_CHECKPOINT_EMAIL", False):
        sent = email_checkpoint(checkpoint)
        output += f"; mailed to {sent} Administrator{'s' if sent != 1 else ''}"
    return output


def email_checkpoint(checkpoint: Checkpoint) -> int:
    """Mail the checkpoint to every active Administrator, as text and as a ``.jsonl`` attachment."""
    recipients = list(
        User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    body = (
        f"Rampart signed a checkpoint of its audit trail: entry #{checkpoint.sequence} has hash "
        f"{checkpoint.entry_hash} ({checkpoint.created_at}, key {checkpoint.key_id}).\n\n"
        "Keep this mail (or the attached file) outside Rampart. To check the trail against it later:\n"
        "  manage.py verify_audit_trail --checkpoints checkpoint.jsonl\n\n"
        f"{checkpoint.as_line()}\n"
    )
    message = EmailMessage(
        subject=f"[Rampart] Audit-trail checkpoint #{checkpoint.sequence}",
        body=body,
        to=recipients,
    )
    message.attach(f"checkpoint-{checkpoint.sequence}.jsonl", checkpoint.as_line() + "\n", "application/jsonl")
    message.send()
    return len(recipients)


# --- Evidence, engagements and evidence packs ------------------------------------------


@task(
    "audits.build_evidence_pack",
    description="Build an engagement's signed evidence pack.",
    perm="audits.build_pack",
    title="Build an evidence pack",
)
def build_evidence_pack(run: Any) -> Any:
    from audits.engagements.packs import build
    from audits.models import PackBuild
    from jobs.tasks import TaskOutcome, report_progress

    pack = PackBuild.objects.select_related("engagement").get(pk=run.params["pack"])

    def progress(phase: str, done: int, total: int) -> None:
        report_progress(run, phase, done=done, total=total)

    built = build(pack, progress)
    return TaskOutcome(
        output=f"Pack of {built.engagement}: {built.size} bytes, manifest sha256 {built.manifest_sha256}",
        result={"pack": built.pk, "size": built.size, "key_id": built.key_id},
    )


@job(
    "audits.end_auditor_access",
    description="Remove auditors from engagements that ended or were closed (their access already ended).",
    cron="10 0 * * *",
)
def end_auditor_access(run: Any) -> str:
    from audits.engagements.services import remove_ended_auditors

    return f"{remove_ended_auditors()} auditor places removed"


@job(
    "audits.remind_expiring_evidence",
    description="Mail owners of evidence that expires within 14 days (RAMPART_EVIDENCE_REMIND_DAYS), once.",
    cron="30 6 * * *",
)
def remind_expiring_evidence(run: Any) -> str:
    from audits.engagements.services import remind_expiring

    return f"{remind_expiring()} reminders sent"
