"""Filters of the access lists (pages and API alike)."""

from __future__ import annotations

from django.db.models import QuerySet

from access.models import Role
from core.filters import ChoiceFilter, ListFilterSet, SortFilter, YesNoFilter

STATES = (("active", "Active"), ("deactivated", "Deactivated"))


class UserFilterSet(ListFilterSet):
    search_fields = ("email", "full_name")
    bar_exclude = ("is_active",)

    role = ChoiceFilter(label="Role", field_name="groups__name", choices=Role.choices)
    state = ChoiceFilter(label="State", choices=STATES, method="filter_state")
    # The API's name for the same question (true/false); the page shows ``state``.
    is_active = YesNoFilter(label="Active", field_name="is_active", labels=("Active", "Deactivated"))
    sort = SortFilter(sorts={"email": "email", "name": "full_name", "joined": "date_joined"}, default="email")

    def filter_state(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(is_active=value == "active")
