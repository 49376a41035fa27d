"""The access report: orphans, leavers, dormant accounts and SoD violations, as plain data.

Shared by ``manage.py access_report``, the reviews dashboard and the API. Rampart's own users
count as accounts of the system ``Rampart`` for dormancy (by their last sign-in). A violation
covered by an exception in force is not reported.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from reviews import selectors
from reviews.models import RAMPART


def finding_counts(days: int = selectors.DEFAULT_DORMANT_DAYS) -> dict[str, int]:
    """How many of each finding, counted in the database (the dashboard)."""
    return {
        "orphans": selectors.orphans().count(),
        "leavers": selectors.leavers().count(),
        "dormant": selectors.dormant(days).count() + selectors.rampart_dormant(days).count(),
        "sod_violations": len(selectors.sod_violations(include_covered=False)),
    }


def access_report(days: int = selectors.DEFAULT_DORMANT_DAYS, today: date | None = None) -> dict[str, list[Any]]:
    def pair(qs: Any) -> list[dict[str, Any]]:
        return [{"system": s, "account": a} for s, a in qs.values_list("asset__name", "account")]

    dormant = [
        {"system": s, "account": a, "last_sign_in": d.isoformat() if d else None}
        for s, a, d in selectors.dormant(days, today).values_list("asset__name", "account", "last_sign_in")
    ]
    for user in selectors.rampart_dormant(days, today).order_by("email"):
        last = user.last_login.date().isoformat() if user.last_login else None
        dormant.append({"system": RAMPART, "account": user.email, "last_sign_in": last})
    violations = [
        {"rule": v.rule.name, "person": v.person.email}
        for v in selectors.sod_violations(include_covered=False, today=today)
    ]
    return {
        "orphans": pair(selectors.orphans()),
        "leavers": pair(selectors.leavers()),
        "dormant": dormant,
        "sod_violations": violations,
    }
