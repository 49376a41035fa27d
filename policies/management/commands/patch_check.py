"""``manage.py patch_check [--asset NAME] [--json]``: re-match the current inventories against the advisories.

Prints the counts of the run, or with ``--json`` a JSON array of every open finding (of the asset,
or of every asset): ``asset``, ``package``, ``ecosystem``, ``installed_version``, ``advisory`` (the
advisory's id), ``advisories``, ``vulnerability``, ``aliases``, ``severity``, ``cvss_score``,
``known_exploited``, ``fixed_in``, ``first_seen``, ``due_date``, ``overdue``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.commands import actor_from, add_actor_argument
from core.actor import acting
from core.errors import DomainError
from governance.models import Asset
from policies.selectors.patching import finding_as_dict, open_findings
from policies.services.patch_check import run_patch_check


class Command(BaseCommand):
    help = "Re-match every current inventory (or one asset's) against the stored advisories."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--asset", help="Only this asset (by name).")
        parser.add_argument("--json", action="store_true", help="Print every open finding as a JSON array.")
        add_actor_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        asset = None
        if options["asset"]:
            asset = Asset.objects.filter(name__iexact=options["asset"].strip()).first()
            if asset is None:
                raise CommandError(f"No asset named {options['asset']}.")
        with acting(actor, via="command:patch_check"):
            try:
                run = run_patch_check(actor=actor, asset=asset, via="command")
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        if options["json"]:
            findings = [finding_as_dict(f) for f in open_findings(asset_id=asset.pk if asset else None)]
            self.stdout.write(json.dumps(findings, indent=2))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Checked {run.assets_checked} asset(s), {run.packages_checked} packages against "
                f"{run.advisories_indexed} advisories in {run.seconds:.2f} s: {run.new_findings} new, "
                f"{run.fixed_findings} fixed, {run.open_findings} open, {run.overdue_findings} overdue; "
                f"patch compliance {run.compliance:.1f}%."
            )
        )
        for problem in run.problems:
            self.stderr.write(f"note: {problem}")
