"""Filters of the evidence list and the evidence-request list (the page and its paging).

Like every list of the house (``core.filters``): a bad value is a form error on the filter bar,
never silently ignored, and people and controls are chosen with the type-ahead pickers.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from audits.engagement_models import Evidence, EvidenceRequest
from core.filters import ChoiceFilter, ListFilterSet, PickerFilter, SortFilter, YesNoFilter
from governance.selectors.pickers import CONTROLS, PEOPLE

OUTSTANDING = (EvidenceRequest.Status.OPEN, EvidenceRequest.Status.REJECTED)


class EvidenceFilterSet(ListFilterSet):
    search_fields = ("title", "description", "filename")

    kind = ChoiceFilter(label="Kind", choices=Evidence.Kind.choices)
    control = PickerFilter(label="Control", field_name="controls", picker=CONTROLS, method="filter_control")
    owner = PickerFilter(label="Owner", field_name="owner_id", picker=PEOPLE)
    expired = YesNoFilter(label="Expired", method="filter_expired")
    sort = SortFilter(
        sorts={"title": "title", "collected": "collected_on", "valid_until": "valid_until", "added": "created_at"},
        default="title",
    )

    def filter_control(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        # A subquery on the link table: no join (and no duplicate rows) in the listed query.
        linked = Evidence.controls.through.objects.filter(control_id=value).values("evidence_id")
        return qs.filter(pk__in=linked)

    def filter_expired(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        expired = Q(valid_until__lt=timezone.localdate())
        return qs.filter(expired) if value == "yes" else qs.exclude(expired)


class EvidenceRequestFilterSet(ListFilterSet):
    search_fields = ("title", "description")

    status = ChoiceFilter(label="Status", choices=EvidenceRequest.Status.choices)
    owner = PickerFilter(label="Owner", field_name="owner_id", picker=PEOPLE)
    mine = YesNoFilter(label="Assigned to me", method="filter_mine")
    overdue = YesNoFilter(label="Overdue", method="filter_overdue")
    sort = SortFilter(sorts={"due": "due_date", "title": "title", "requested": "created_at"}, default="due")

    def filter_mine(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        viewer = self.viewer
        mine = Q(owner_id=viewer.pk if viewer is not None else None)
        return qs.filter(mine) if value == "yes" else qs.exclude(mine)

    def filter_overdue(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        late = Q(status__in=OUTSTANDING, due_date__lt=timezone.localdate())
        return qs.filter(late) if value == "yes" else qs.exclude(late)
