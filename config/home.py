"""What each role finds on its home page, assembled from the apps' selectors.

Every panel is chosen by role or permission and costs a fixed number of queries:
- Administrator: accounts without a second factor, paused sign-ins, unused invitations,
  failed job runs and the audit chain's status;
- Compliance officer: the organisation at a glance (coverage, tests, risks, exceptions);
- IT administrator: failed job runs;
- everyone: the controls, planned tests and risks that are theirs;
- Auditor and Employee: their tasks, with an empty state saying what will appear there;
- everyone who acknowledges policies: the published policies they must still read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from access.home import AccountsAttention, accounts_attention
from access.models import Role, User
from audits.selectors import ChainStatus, chain_status
from governance.selectors import exceptions as exception_selectors
from governance.selectors.controls import Coverage, control_figures, coverage_by_framework
from governance.selectors.risks import acceptance_counts
from jobs import selectors as job_selectors
from jobs.models import JobRun
from policies.selectors.documents import ACKNOWLEDGE, to_acknowledge

EXCEPTIONS_WINDOW_DAYS = 30
FAILED_RUNS_DAYS = 7
POLICIES_SHOWN = 20


@dataclass(frozen=True)
class FailedRuns:
    runs: list[JobRun]
    count: int
    days: int = FAILED_RUNS_DAYS


@dataclass(frozen=True)
class Overview:
    """The organisation at a glance, for the Compliance officer."""

    coverage: list[Coverage]
    overdue_controls: int
    failed_controls: int
    overdue_tests: int
    acceptances_expired: int
    exceptions_expiring: int
    exceptions_window_days: int = EXCEPTIONS_WINDOW_DAYS


def failed_runs(user: User) -> FailedRuns | None:
    if not user.has_perm(job_selectors.VIEW_PERM):
        return None
    runs, count = job_selectors.recent_failed_runs(user, days=FAILED_RUNS_DAYS)
    return FailedRuns(runs, count)


def organisation_overview(user: User) -> Overview:
    figures = control_figures(user)
    acceptances = acceptance_counts(user) if user.has_perm("governance.view_risk") else {}
    exceptions = (
        exception_selectors.expiring_within(user, EXCEPTIONS_WINDOW_DAYS).count()
        if user.has_perm("governance.view_complianceexception")
        else 0
    )
    return Overview(
        coverage=coverage_by_framework(user),
        overdue_controls=figures.overdue,
        failed_controls=figures.failed,
        overdue_tests=figures.overdue_tests,
        acceptances_expired=acceptances.get("expired", 0),
        exceptions_expiring=exceptions,
    )


def role_panels(user: User) -> dict[str, Any]:
    """The role-specific panels of ``user``'s home page (None where the role has none)."""
    is_admin = user.has_role(Role.ADMINISTRATOR)
    attention: AccountsAttention | None = accounts_attention(actor=user) if is_admin else None
    chain: ChainStatus | None = chain_status(user) if is_admin else None
    return {
        "accounts": attention,
        "chain": chain,
        "failed_runs": failed_runs(user) if is_admin or user.has_role(Role.IT_ADMINISTRATOR) else None,
        "overview": organisation_overview(user) if user.has_role(Role.COMPLIANCE_OFFICER) else None,
        "auditor": user.has_role(Role.AUDITOR),
        "employee": user.has_role(Role.EMPLOYEE),
        "policies_to_read": list(to_acknowledge(user)[:POLICIES_SHOWN]) if user.has_perm(ACKNOWLEDGE) else None,
    }
