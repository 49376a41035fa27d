"""Scheduled jobs of access reviews: reminders and escalation, recurring campaigns, dormancy snapshot."""

from __future__ import annotations

from typing import Any

from core.jobs_registry import job
from reviews.services.campaigns import remind_and_escalate, start_recurring


@job(
    "reviews.remind_reviewers",
    description="Remind reviewers before a campaign is due; escalate overdue campaigns to Administrators.",
    cron="0 7 * * *",
)
def remind_reviewers(run: Any) -> str:
    reminded, escalated = remind_and_escalate()
    return f"{reminded} campaign(s) reminded, {escalated} escalated."


@job("reviews.start_recurring_campaigns", description="Start the next round of recurring campaigns.", cron="0 6 * * *")
def start_recurring_campaigns(run: Any) -> str:
    return f"{start_recurring()} campaign(s) started."


@job("reviews.expire_access_grants", description="Take away granted access whose time is up.", interval_seconds=60)
def expire_access_grants(run: Any) -> str:
    from reviews.services.requests import expire_due_grants

    return f"{expire_due_grants()} grant(s) removed."
