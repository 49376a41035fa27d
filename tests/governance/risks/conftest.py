"""Fixtures of the risk, asset, exception and finding tests: fixed values, built through services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from governance.models import Asset, Control, Risk, RiskMatrix
from governance.scoping import hand_over_object_perms


def make_risk(
    ref: str,
    *,
    inherent: tuple[int, int] = (1, 1),
    residual: tuple[int, int] = (1, 1),
    owner: Any = None,
    status: str = Risk.Status.OPEN,
    assets: tuple[Asset, ...] = (),
    **fields: Any,
) -> Risk:
    """A risk row written directly (the services are tested on their own)."""
    risk = Risk.objects.create(
        ref=ref,
        title=fields.pop("title", f"Risk {ref}"),
        inherent_likelihood=inherent[0],
        inherent_impact=inherent[1],
        residual_likelihood=residual[0],
        residual_impact=residual[1],
        owner=owner,
        status=status,
        **fields,
    )
    if owner is not None:
        hand_over_object_perms(obj=risk, previous=None, new=owner)
    if assets:
        risk.assets.set(assets)
    return risk


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def matrix(db: Any) -> RiskMatrix:
    return RiskMatrix.objects.get(pk=1)


@pytest.fixture
def payroll(db: Any) -> Asset:
    return Asset.objects.create(name="Payroll", kind=Asset.Kind.HR, criticality=Asset.Criticality.HIGH)


@pytest.fixture
def backup_control(db: Any) -> Control:
    return Control.objects.create(ref="CTL-BACKUP", title="Nightly encrypted backups")
