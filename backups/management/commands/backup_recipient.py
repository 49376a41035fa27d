"""``manage.py backup_recipient add NAME age1...`` / ``list`` / ``remove NAME``: the keys backups are encrypted to.

Only public keys (``age1...``, as ``age-keygen`` prints them) are stored; keep the private key
(``AGE-SECRET-KEY-1...``) off this machine, where restores happen.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups.models import BackupRecipient
from backups.services.errors import BackupError
from backups.services.recipients import add_recipient, recipient_by_name, remove_recipient
from core.actor import acting


class Command(BaseCommand):
    help = "Add, list or remove the age public keys (recipients) that backups are encrypted to."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a recipient: a name and an age public key (age1...).")
        add.add_argument("name")
        add.add_argument("public_key", metavar="age1...")
        actions.add_parser("list", help="List the recipients.")
        remove = actions.add_parser("remove", help="Remove a recipient by name.")
        remove.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        with acting(None, via="command:backup_recipient"):
            if action == "add":
                try:
                    recipient = add_recipient(actor=None, name=options["name"], public_key=options["public_key"])
                except ValidationError as exc:
                    raise CommandError(
                        " ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
                    ) from exc
                self.stdout.write(f"Added recipient {recipient.name}: {recipient.public_key}")
            elif action == "remove":
                try:
                    recipient = recipient_by_name(options["name"])
                except BackupError as exc:
                    raise CommandError(str(exc)) from exc
                remove_recipient(actor=None, recipient=recipient)
                self.stdout.write(f"Removed recipient {options['name']}.")
            else:
                recipients = list(BackupRecipient.objects.order_by("name"))
                if not recipients:
                    self.stdout.write("No recipient yet: manage.py backup_recipient add NAME age1...")
                for recipient in recipients:
                    state = "active" if recipient.active else "inactive"
                    self.stdout.write(f"{recipient.name}\t{recipient.public_key}\t{state}")
