"""Jobs of the policies app: the daily patch check, and the daily policy reminders and overdue reviews."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.actor import acting
from core.jobs_registry import job
from policies.models import Policy
from policies.services.patch_check import check_assets
from policies.services.patch_notifications import mail_new_critical_findings
from policies.services.policy_reminders import REMINDER_INTERVAL_DAYS, send_reminders


def advisory_dir() -> Path | None:
    """``settings.RAMPART_ADVISORY_DIR`` (or the environment variable of that name), when set."""
    value = getattr(settings, "RAMPART_ADVISORY_DIR", None) or os.environ.get("RAMPART_ADVISORY_DIR", "")
    return Path(value) if value else None


@job(
    "policies.patch_check",
    description="Re-import advisories from the advisory folder (when configured), re-match every current "
    "inventory, and mail IT administrators about new critical findings.",
    cron="40 4 * * *",
)
def patch_check(run: Any) -> str:
    from policies.services.advisories import import_advisories

    parts = []
    with acting(None, via="job:policies.patch_check"):
        folder = advisory_dir()
        if folder is not None:
            report = import_advisories(actor=None, path=folder, skip_invalid=True)
            parts.append(f"Advisories from {folder}: {report.summary()}")
        check = check_assets(asset_ids=None, actor=None, via="job")
        parts.append(
            f"Checked {check.assets_checked} asset(s): {check.new_findings} new, {check.fixed_findings} fixed, "
            f"{check.overdue_findings} overdue, {check.open_findings} open; patch compliance {check.compliance}%."
        )
        mailed = mail_new_critical_findings()
    if mailed.findings:
        parts.append(f"Mailed {mailed.recipients} IT administrator(s) about {mailed.findings} new critical finding(s).")
    return " ".join(parts)


@job(
    "policies.policy_reminders",
    description="Mail everyone who has not acknowledged a published policy addressed to them (each policy at "
    "most once a week), and list the policies whose review is overdue.",
    cron="15 7 * * *",
    title="Policy reminders and overdue reviews",
)
def policy_reminders(run: Any) -> str:
    with acting(None, via="job:policies.policy_reminders"):
        sent = send_reminders(actor=None, only_due=True)
    today = timezone.localdate()
    overdue = list(Policy.objects.filter(next_review_due__lt=today).order_by("next_review_due", "title"))
    idle = f"No reminder due (each policy at most every {REMINDER_INTERVAL_DAYS} days)."
    parts = [sent.summary() if sent.recipients else idle]
    if overdue:
        listed = "; ".join(f"{p.title} (due {p.next_review_due.isoformat()})" for p in overdue if p.next_review_due)
        parts.append(f"{len(overdue)} policy review(s) overdue: {listed}.")
    else:
        parts.append("No policy review is overdue.")
    return " ".join(parts)
