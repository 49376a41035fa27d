"""Filters of the policies lists, shared by the pages, their CSV exports and the API.

Policy documents: ``PolicyFilterSet``. Patch checks: findings (``PatchFindingFilterSet``),
inventories and advisories. Each is a
``core.filters.ListFilterSet``: search (``q``), the filters on the filter bar, and ``sort``.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from access.models import Role
from core.filters import ChoiceFilter, ListFilterSet, PickerFilter, SortFilter, YesNoFilter
from governance.selectors.pickers import ASSETS
from policies.models import Advisory as AdvisoryModel
from policies.models import AdvisoryPackage, Inventory, PatchFinding, Policy, PolicyVersion, Severity

ECOSYSTEMS = (("Debian", "Debian (any release)"), ("PyPI", "PyPI"), ("npm", "npm"))


def _ecosystem(field: str, value: str) -> Q:
    """``Debian`` takes every release (``Debian:12`` ...); other ecosystems match exactly."""
    if value == "Debian":
        return Q(**{field: "Debian"}) | Q(**{f"{field}__startswith": "Debian:"})
    return Q(**{field: value})


class PatchFindingFilterSet(ListFilterSet):
    search_fields = ("package", "vulnerability_id", "summary", "installed_version", "asset__name")

    asset = PickerFilter(label="Asset", field_name="asset_id", picker=ASSETS)
    severity = ChoiceFilter(label="Severity", choices=Severity.choices)
    status = ChoiceFilter(label="Status", choices=PatchFinding.Status.choices)
    overdue = YesNoFilter(label="Due", labels=("Overdue", "Not overdue"), method="filter_overdue")
    ecosystem = ChoiceFilter(label="Ecosystem", choices=ECOSYSTEMS, method="filter_ecosystem")
    exploited = YesNoFilter(label="Known exploited", field_name="known_exploited")
    sort = SortFilter(
        sorts={
            "due": "due_date",
            "severity": "severity_rank",
            "package": "package",
            "asset": "asset__name",
            "first_seen": "first_seen",
            "vulnerability": "vulnerability_id",
            "status": "status",
        },
        default="due",
    )

    def filter_overdue(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        late = Q(status=PatchFinding.Status.OPEN, due_date__lt=timezone.localdate())
        if value == "yes":
            return qs.filter(late)
        if value == "no":
            return qs.exclude(late)
        return qs

    def filter_ecosystem(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(_ecosystem("ecosystem", value))


class InventoryFilterSet(ListFilterSet):
    search_fields = ("asset__name", "scope", "filename")

    asset = PickerFilter(label="Asset", field_name="asset_id", picker=ASSETS)
    format = ChoiceFilter(label="Format", choices=Inventory.Format.choices)
    current = YesNoFilter(label="Current", field_name="is_current", labels=("Current", "History"))
    sort = SortFilter(
        sorts={"collected": "collected_at", "asset": "asset__name", "packages": "package_count", "scope": "scope"},
        default="-collected",
    )


class AdvisoryFilterSet(ListFilterSet):
    search_fields = ("advisory_id", "vulnerability_id", "summary", "package_summary")

    severity = ChoiceFilter(label="Severity", choices=Severity.choices)
    source = ChoiceFilter(label="Source", choices=AdvisoryModel.Source.choices)
    ecosystem = ChoiceFilter(label="Ecosystem", choices=ECOSYSTEMS, method="filter_ecosystem")
    withdrawn = YesNoFilter(
        label="Withdrawn", field_name="withdrawn__isnull", labels=("Withdrawn", "In force"), invert=True
    )
    exploited = YesNoFilter(label="Known exploited", field_name="known_exploited")
    sort = SortFilter(
        sorts={"modified": "modified", "id": "advisory_id", "severity": "severity", "imported": "imported_at"},
        default="-modified",
    )

    def filter_ecosystem(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        naming = AdvisoryPackage.objects.filter(_ecosystem("ecosystem", value)).values("advisory_id")
        return qs.filter(pk__in=naming)


POLICY_STATES = (
    ("published", "Published"),
    ("unpublished", "Not published"),
    ("draft", "Has a draft"),
    ("in_review", "Has a version in review"),
    ("approved", "Has an approved version to publish"),
)


class PolicyFilterSet(ListFilterSet):
    """Policies (``policies.selectors.documents.policies_visible_to``: annotated with the published version)."""

    search_fields = ("title", "summary")

    state = ChoiceFilter(label="State", choices=POLICY_STATES, method="filter_state")
    review = ChoiceFilter(
        label="Review",
        choices=(("overdue", "Overdue"), ("due_soon", "Due within 30 days"), ("none", "No date")),
        method="filter_review",
    )
    role = ChoiceFilter(label="Audience role", choices=Role.choices, method="filter_role")
    sort = SortFilter(
        sorts={"title": "title", "review": "next_review_due", "published": "published_at", "updated": "updated_at"},
        default="title",
    )

    def filter_state(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == "published":
            return qs.filter(published_id__isnull=False)
        if value == "unpublished":
            return qs.filter(published_id__isnull=True)
        with_status = PolicyVersion.objects.filter(status=value).values("policy_id")
        return qs.filter(pk__in=with_status)

    def filter_review(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        if value == "overdue":
            return qs.filter(next_review_due__lt=today)
        if value == "due_soon":
            return qs.filter(next_review_due__gte=today, next_review_due__lte=today + timedelta(days=30))
        return qs.filter(next_review_due__isnull=True)

    def filter_role(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=Policy.audience_roles.through.objects.filter(group__name=value).values("policy_id"))


__all__ = ["AdvisoryFilterSet", "InventoryFilterSet", "PatchFindingFilterSet", "PolicyFilterSet"]
