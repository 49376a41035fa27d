"""Assets as a user may see them: the inventory list, one asset with its risks."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from governance.models import Asset, Risk
from governance.scoping import scoped
from governance.selectors.pickers import PEOPLE
from workbench.listing import Column, Filter, ListSpec

# Criticality sorts by weight (the order the choices declare: low < medium < high < critical),
# not by the alphabet of the stored values.
CRITICALITY_RANK = Case(
    *(When(criticality=value, then=Value(rank)) for rank, value in enumerate(Asset.Criticality.values, start=1)),
    default=Value(0),
    output_field=IntegerField(),
)


def assets_visible_to(user: Any) -> QuerySet[Asset]:
    """The inventory for holders of ``governance.view_asset``; nothing for others."""
    if user is None or not user.is_authenticated or not user.has_perm("governance.view_asset"):
        return Asset.objects.none()
    return Asset.objects.select_related("owner").annotate(
        open_risks=Count("risks", filter=Q(risks__status=Risk.Status.OPEN), distinct=True),
        criticality_rank=CRITICALITY_RANK,
    )


def asset_for(user: Any, pk: int) -> Asset:
    return assets_visible_to(user).get(pk=pk)


def risks_on_asset(user: Any, asset: Asset) -> QuerySet[Risk]:
    """The risks on ``asset`` that ``user`` may see, highest residual score first."""
    return scoped(user, asset.risks.select_related("owner")).order_by("-residual_score", "ref")


ASSET_LIST = ListSpec(
    search_fields=("name", "description", "vendor"),
    filters=(
        Filter("kind", "Kind", "kind", choices=Asset.Kind.choices),
        Filter("classification", "Classification", "data_classification", choices=Asset.Classification.choices),
        Filter("criticality", "Criticality", "criticality", choices=Asset.Criticality.choices),
        Filter("owner", "Owner", "owner_id", picker=PEOPLE, convert=int),
        Filter(
            "active",
            "State",
            "is_active",
            choices=(("yes", "Active"), ("no", "Inactive")),
            convert=lambda value: value == "yes",
        ),
    ),
    sorts={
        "name": "name",
        "kind": "kind",
        "criticality": "criticality_rank",
        "owner": "owner__email",
        "risks": "open_risks",
    },
    default_sort="name",
    columns=(
        Column("Name", lambda a: a.name),
        Column("Kind", lambda a: a.get_kind_display()),
        Column("Owner", lambda a: a.owner.email if a.owner else ""),
        Column("Data classification", lambda a: a.get_data_classification_display()),
        Column("Criticality", lambda a: a.get_criticality_display()),
        Column("Vendor", lambda a: a.vendor),
        Column("Active", lambda a: "yes" if a.is_active else "no"),
        Column("Open risks", lambda a: a.open_risks),
        Column("Description", lambda a: a.description),
    ),
)
