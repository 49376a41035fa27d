"""Importing an asset's software inventory, then checking that asset against the advisories.

An inventory is read whole before anything is written: a malformed one is refused with the line
or JSON path that is wrong (``InventoryImportError``), and nothing of it is kept. Each import is a
new ``Inventory``; it becomes the current one of its asset and scope (the format, unless a scope
is given), the previous one is kept as history. The asset is created when no asset has that name
(which needs ``governance.add_asset``). A dpkg inventory needs its Debian release: the one given,
else the one the asset's current inventories name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import User
from core.errors import DomainError
from core.filters import clean_text
from governance.models import Asset
from governance.services.assets import AssetData, create_asset
from policies.models import InstalledPackage, Inventory, PatchCheckRun
from policies.models.patching import NAME_LENGTH, VERSION_LENGTH
from policies.patching.ecosystems import normalize_ecosystem, normalize_name
from policies.patching.inventories import FORMATS, InventoryError, debian_ecosystem, parse_inventory
from policies.services import authorize
from policies.services.patch_check import check_assets

IMPORT_PERM = "policies.add_inventory"
MAX_INVENTORY_BYTES = 50 * 1024 * 1024


class InventoryImportError(DomainError):
    """A malformed inventory: ``location`` is ``line N`` or a JSON path."""

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"The inventory was refused, nothing was imported: {location}: {problem}")
        self.location = location
        self.problem = problem


@dataclass
class InventoryImport:
    inventory: Inventory
    check: PatchCheckRun | None

    def summary(self) -> str:
        text = f"Imported {self.inventory.package_count} packages for {self.inventory.asset.name}"
        if self.check is not None:
            text += (
                f"; {self.check.new_findings} new finding(s), {self.check.fixed_findings} fixed, "
                f"{self.check.open_findings} open ({self.check.overdue_findings} overdue)"
            )
        return text + "."


def normalize_release(release: str) -> str:
    """``debian:12``, ``12``, ``bookworm`` -> ``Debian:12``; a ValidationError on ``release`` otherwise."""
    try:
        return debian_ecosystem(release)
    except ValueError as exc:
        raise ValidationError({"release": f"{exc}. Give it as e.g. 'debian:12'."}) from None


def _asset(actor: User | None, name: str) -> Asset:
    name = clean_text(name, 200)
    if not name:
        raise ValidationError({"asset": "Name the asset the inventory belongs to."})
    asset = Asset.objects.filter(name__iexact=name).first()
    if asset is not None:
        return asset
    if actor is None:
        asset = Asset(name=name, description="Created by a patch-check inventory import.")
        asset.full_clean()
        asset.save()
        return asset
    return create_asset(
        actor=actor, data=AssetData(name=name, description="Created by a patch-check inventory import.")
    )


def _release(asset: Asset, release: str | None) -> str:
    if release and release.strip():
        return normalize_release(release)
    known = (
        Inventory.objects.filter(asset=asset, is_current=True)
        .exclude(release="")
        .order_by("-collected_at", "-pk")
        .values_list("release", flat=True)
        .first()
    )
    return known or ""


def _rows(inventory: Inventory, packages: Any) -> list[InstalledPackage]:
    rows = []
    for number, package in enumerate(packages, start=1):
        for label, value, limit in (
            ("name", package.name, NAME_LENGTH),
            ("version", package.version, VERSION_LENGTH),
            ("source package", package.source_name or "", NAME_LENGTH),
            ("source version", package.source_version or "", VERSION_LENGTH),
        ):
            if len(value) > limit:
                raise InventoryImportError(
                    f"package {number} ({package.name[:60]})", f"{label} over {limit} characters"
                )
        ecosystem = normalize_ecosystem(package.ecosystem)
        rows.append(
            InstalledPackage(
                inventory=inventory,
                ecosystem=ecosystem,
                name=package.name,
                version=package.version,
                source_name=package.source_name or "",
                source_version=package.source_version or "",
                purl=package.purl or "",
                match_name=normalize_name(ecosystem, package.match_name),
            )
        )
    return rows


@transaction.atomic
def import_inventory(
    *,
    actor: User | None,
    asset_name: str,
    data: bytes,
    format_name: str | None = None,
    release: str | None = None,
    scope: str = "",
    filename: str = "",
    via: str = Inventory.Via.UPLOAD,
    check: bool = True,
) -> InventoryImport:
    """Import ``data`` as the current inventory of ``asset_name`` (and its scope), then check that asset."""
    authorize(actor, IMPORT_PERM)
    if format_name and format_name not in FORMATS:
        raise ValidationError({"format": f"Unknown format {format_name!r}: one of {', '.join(FORMATS)}."})
    if len(data) > MAX_INVENTORY_BYTES:
        raise ValidationError({"file": f"An inventory is at most {MAX_INVENTORY_BYTES // (1024 * 1024)} MB."})
    if not data.strip():
        raise ValidationError({"file": "The file is empty."})
    asset = _asset(actor, asset_name)
    debian = _release(asset, release)
    try:
        parsed = parse_inventory(data, format_name=format_name or None, debian_release=debian or None)
    except InventoryError as exc:
        raise InventoryImportError(exc.location, exc.problem) from None
    except ValueError as exc:  # a dpkg inventory without a release
        raise ValidationError({"release": f"{exc}; the asset has none on record yet."}) from None
    scope = clean_text(scope, 100) or parsed.format
    Inventory.objects.filter(asset=asset, scope=scope, is_current=True).update(is_current=False)
    inventory = Inventory(
        asset=asset,
        scope=scope,
        format=parsed.format,
        release=debian if parsed.format in ("dpkg", "cyclonedx") else "",
        collected_at=timezone.now(),
        uploaded_by=actor,
        via=via,
        filename=clean_text(filename, 255),
        package_count=len(parsed.packages),
        notes=list(parsed.notes),
        is_current=True,
    )
    inventory.full_clean()
    inventory.save()
    InstalledPackage.objects.bulk_create(_rows(inventory, parsed.packages), batch_size=2000)
    run = check_assets(asset_ids=[asset.pk], actor=actor, via=f"inventory:{via}") if check else None
    return InventoryImport(inventory, run)
