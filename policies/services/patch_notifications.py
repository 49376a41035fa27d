"""Mail to IT administrators about new critical patch findings.

Every open critical finding not mailed yet (``notified_at`` empty) is listed once, whatever
found it: the daily check, or a per-asset check after an upload. Then the findings are marked
mailed. With no active IT administrator, nothing is marked, so the next run tries again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.utils import timezone

from access.models import Role, User
from policies.models import PatchFinding, Severity

MAX_LISTED = 200


@dataclass(frozen=True)
class Mailed:
    recipients: int = 0
    findings: int = 0


def mail_new_critical_findings() -> Mailed:
    pending = PatchFinding.objects.filter(
        status=PatchFinding.Status.OPEN, severity=Severity.CRITICAL, notified_at__isnull=True
    )
    rows = list(pending.select_related("asset").order_by("due_date", "asset__name", "package", "pk")[: MAX_LISTED + 1])
    if not rows:
        return Mailed()
    recipients = list(
        User.objects.filter(is_active=True, groups__name=Role.IT_ADMINISTRATOR)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return Mailed()
    total = pending.count()
    lines = [
        f"- {f.asset.name}: {f.package} {f.installed_version} ({f.ecosystem}), {f.vulnerability_id}, "
        f"fixed in {f.fixed_in or 'no fixed version yet'}, due {f.due_date.isoformat()}"
        for f in rows[:MAX_LISTED]
    ]
    if total > MAX_LISTED:
        lines.append(f"... and {total - MAX_LISTED} more: see Patches, filtered by severity critical.")
    body = (
        f"Rampart found {total} new critical vulnerabilit{'y' if total == 1 else 'ies'} in installed software:\n\n"
        + "\n".join(lines)
        + "\n\nInstall the fixed versions before the due dates, or ask for an exception.\n"
    )
    EmailMessage(
        subject=f"[Rampart] {total} new critical patch finding{'s' if total != 1 else ''}", body=body, to=recipients
    ).send()
    pending.update(notified_at=timezone.now())
    return Mailed(len(recipients), total)
