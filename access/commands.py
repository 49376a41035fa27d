"""What management commands share: the optional ``--actor EMAIL`` they act as.

With ``--actor`` the command checks that person's permissions and the audit trail names them;
without it the command acts as the system (the audit trail records the command and the
operating-system user, as for the scheduler).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from access.models import User

ACTOR_HELP = (
    "Email of the user to act as: their permissions are checked and the audit trail names them. "
    "Without it the command acts as the system, recorded with the command line and the OS user."
)


def add_actor_argument(parser: CommandParser, help_text: str = ACTOR_HELP) -> None:
    parser.add_argument("--actor", help=help_text)


def actor_from(options: dict[str, Any]) -> User | None:
    """The active user named by ``--actor``, ``None`` without it; a clear error for anyone else."""
    email = (options.get("actor") or "").strip()
    if not email:
        return None
    actor = User.objects.filter(email__iexact=email, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active user with the email {email}.")
    return actor
