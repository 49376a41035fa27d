"""Demo content of backups: a recipient and a daily plan.

The key pair is made here; only its public half is stored. The private half is written to
``var/demo-backup-identity.txt`` (mode 0600) so a newcomer can try ``manage.py restore SET
--identity var/demo-backup-identity.txt``, or let drills run with
``RAMPART_DRILL_IDENTITY_FILE=var/demo-backup-identity.txt``.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from backups.age import X25519Identity, load_identities
from backups.models import BackupPlan, BackupRecipient
from backups.services.plans import create_plan
from backups.services.recipients import add_recipient
from core.seeding import SeedContext, register_demo_seeder

RECIPIENT = "Demo backup key"
PLAN = "Daily database and files"


def demo_identity_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-backup-identity.txt"


def _identity(path: Path) -> X25519Identity:
    """The demo key pair: the one on file, else a new one written there (0600)."""
    if path.exists():
        return load_identities(path)[0]
    identity = X25519Identity.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(identity.identity_file())
    return identity


@register_demo_seeder(order=60)
def seed_backups(ctx: SeedContext) -> None:
    path = demo_identity_path()
    recipient = BackupRecipient.objects.filter(name=RECIPIENT).first()
    if recipient is None:
        identity = _identity(path)
        recipient = add_recipient(actor=None, name=RECIPIENT, public_key=str(identity.recipient))
        ctx.record("backup recipients")
    if not BackupPlan.objects.filter(name=PLAN).exists():
        create_plan(actor=None, recipients=[recipient], name=PLAN, what=BackupPlan.What.BOTH, cron="30 2 * * *")
        ctx.record("backup plans")
    if path.exists():
        ctx.notes.append(
            f"Backups: the demo private key is in {path}; try `manage.py backup_now` then "
            f"`manage.py restore SET --identity {path}` (RAMPART_DRILL_IDENTITY_FILE={path} lets drills run)."
        )
