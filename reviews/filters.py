"""Filters of the access-review lists, shared by the pages, their CSV and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.filters import ChoiceFilter, IdFilter, ListFilterSet, SortFilter
from reviews.models import ReviewCampaign, ReviewItem, SystemAccount
from reviews.selectors import DEFAULT_DORMANT_DAYS, dormant_condition, leaver_condition, orphan_condition

FINDINGS = (("orphan", "Orphan"), ("leaver", "Leaver"), ("dormant", f"Dormant ({DEFAULT_DORMANT_DAYS} days)"))


class AccountFilterSet(ListFilterSet):
    search_fields = ("account", "email")

    system = IdFilter(field_name="asset_id", label="System")
    status = ChoiceFilter(label="Status", choices=SystemAccount.Status.choices)
    finding = ChoiceFilter(label="Finding", choices=FINDINGS, method="filter_finding")
    sort = SortFilter(
        sorts={"system": "asset__name", "account": "account", "email": "email", "last_sign_in": "last_sign_in"},
        default="system",
    )
    bar_exclude = ("system",)

    def filter_finding(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        conditions = {"orphan": orphan_condition, "leaver": leaver_condition, "dormant": dormant_condition}
        return qs.filter(conditions[value]()) if value in conditions else qs


class CampaignFilterSet(ListFilterSet):
    search_fields = ("name",)

    status = ChoiceFilter(label="Status", choices=ReviewCampaign.Status.choices)
    sort = SortFilter(sorts={"started": "started_at", "due": "due_on", "name": "name"}, default="-started")


class ReviewItemFilterSet(ListFilterSet):
    search_fields = ("account_name", "email", "system_name")

    decision = ChoiceFilter(label="Decision", choices=ReviewItem.Decision.choices)
    reviewer = IdFilter(field_name="reviewer_id", label="Reviewer")
    sort = SortFilter(
        sorts={"system": "system_name", "account": "account_name", "decision": "decision"}, default="system"
    )
    bar_exclude = ("reviewer",)
