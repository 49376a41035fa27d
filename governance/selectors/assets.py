"""Assets as a user may see them: the inventory list, one asset with its risks."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from access.models import User
from governance.models import Asset, Risk
from governance.scoping import scoped

# Criticality sorts by weight (the order the choices declare: low < medium < high < critical),
# not by the alphabet of the stored values.
CRITICALITY_RANK = Case(
    *(When(criticality=value, then=Value(rank)) for rank, value in enumerate(Asset.Criticality.values, start=1)),
    default=Value(0),
    output_field=IntegerField(),
)


def assets_visible_to(user: User) -> QuerySet[Asset]:
    """The inventory for holders of ``governance.view_asset``; nothing for others."""
    if user is None or not user.is_authenticated or not user.has_perm("governance.view_asset"):
        return Asset.objects.none()
    return Asset.objects.select_related("owner").annotate(
        open_risks=Count("risks", filter=Q(risks__status=Risk.Status.OPEN), distinct=True),
        criticality_rank=CRITICALITY_RANK,
    )


def asset_for(user: User, pk: int) -> Asset:
    return assets_visible_to(user).get(pk=pk)


def risks_on_asset(user: User, asset: Asset) -> QuerySet[Risk]:
    """The risks on ``asset`` that ``user`` may see, highest residual score first."""
    return scoped(user, asset.risks.select_related("owner")).order_by("-residual_score", "ref")
