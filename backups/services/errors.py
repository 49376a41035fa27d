"""Errors of the backups app, with messages a person can act on."""

from __future__ import annotations

from core.errors import DomainError


class BackupError(DomainError):
    """A backup, verification, restore or drill that cannot be done."""


class BackupBusyError(BackupError):
    """Another backup of the same plan is running."""

    status_code = 409
