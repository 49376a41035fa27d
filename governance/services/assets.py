"""Assets: the inventory of back-office systems. IT administrators and Compliance officers manage it.

Assets are never deleted (risks, patch checks and access reviews refer to them);
an asset that is retired is deactivated and can be reactivated.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from access.models import User
from core.errors import DomainError
from core.permissions import require_perm
from governance.models import Asset

CHANGE_ASSET = "governance.change_asset"


@dataclass
class AssetData:
    name: str
    kind: str = Asset.Kind.OTHER
    owner: Any = None
    data_classification: str = Asset.Classification.INTERNAL
    criticality: str = Asset.Criticality.MEDIUM
    description: str = ""
    vendor: str = ""

    @classmethod
    def from_asset(cls, asset: Asset) -> AssetData:
        return cls(**{f.name: getattr(asset, f.name) for f in fields(cls)})

    def updated(self, **changes: Any) -> AssetData:
        return replace(self, **changes)


def _check_owner(owner: Any) -> None:
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": "This user is deactivated; choose an active user as the owner."})


def _apply(asset: Asset, data: AssetData) -> None:
    _check_owner(data.owner)
    for f in fields(AssetData):
        value = getattr(data, f.name)
        setattr(asset, f.name, value.strip() if isinstance(value, str) and f.name in {"name", "vendor"} else value)


@transaction.atomic
def create_asset(*, actor: User, data: AssetData) -> Asset:
    require_perm(actor, "governance.add_asset")
    asset = Asset()
    _apply(asset, data)
    asset.full_clean()
    asset.save()
    return asset


@transaction.atomic
def update_asset(*, actor: User, asset: Asset, data: AssetData) -> Asset:
    require_perm(actor, CHANGE_ASSET)
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    _apply(asset, data)
    asset.full_clean()
    asset.save()
    return asset


@transaction.atomic
def deactivate_asset(*, actor: User, asset: Asset) -> Asset:
    """Retire an asset: it stays on the risks that name it, marked inactive."""
    require_perm(actor, CHANGE_ASSET)
    if not asset.is_active:
        raise DomainError(f"{asset.name} is already inactive.")
    asset.is_active = False
    asset.save(update_fields=["is_active", "updated_at"])
    return asset


@transaction.atomic
def reactivate_asset(*, actor: User, asset: Asset) -> Asset:
    require_perm(actor, CHANGE_ASSET)
    if asset.is_active:
        raise DomainError(f"{asset.name} is already active.")
    asset.is_active = True
    asset.save(update_fields=["is_active", "updated_at"])
    return asset
