"""Mail to the IT administrators when a backup or a drill fails or is missed."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail

from access.models import Role, User

log = logging.getLogger(__name__)
SUBJECT_PREFIX = "[Rampart backups] "


def it_administrator_emails() -> list[str]:
    users = User.objects.filter(groups__name=Role.IT_ADMINISTRATOR, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def send_alert(subject: str, body: str) -> int:
    """Mail every active IT administrator; returns how many were addressed (0 when there is none)."""
    recipients = it_administrator_emails()
    if not recipients:
        log.warning("No IT administrator to tell: %s", subject)
        return 0
    try:
        send_mail(SUBJECT_PREFIX + subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # a mail server that is down must not turn a recorded failure into a crash
        log.exception("Could not mail the backup alert %r.", subject)
        return 0
    return len(recipients)
