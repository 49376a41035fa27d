"""Recipients: the age public keys backups are encrypted to (Administrators manage them)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from access.models import User
from backups.models import BackupRecipient
from backups.services.errors import BackupError
from core.permissions import require_perm


@transaction.atomic
def add_recipient(*, actor: User | None, name: str, public_key: str) -> BackupRecipient:
    """Record a public key (``age1...``, checked by parsing it) under a unique name."""
    if actor is not None:
        require_perm(actor, "backups.add_backuprecipient")
    recipient = BackupRecipient(name=name.strip(), public_key=public_key.strip(), created_by=actor)
    recipient.full_clean()
    recipient.save()
    return recipient


@transaction.atomic
def remove_recipient(*, actor: User | None, recipient: BackupRecipient) -> None:
    """Forget a key: later sets are not encrypted to it (sets made before stay readable with it)."""
    if actor is not None:
        require_perm(actor, "backups.delete_backuprecipient")
    recipient.delete()


def recipient_by_name(name: str) -> BackupRecipient:
    found = BackupRecipient.objects.filter(name=name).first()
    if found is None:
        raise BackupError(f"There is no recipient named {name!r}.")
    return found


def active_recipients() -> QuerySet[BackupRecipient]:
    return BackupRecipient.objects.filter(active=True).order_by("name")
