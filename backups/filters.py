"""Filters of the backups lists (django-filter, shared by the page and its CSV)."""

from __future__ import annotations

from typing import Any

from backups.models import BackupPlan, BackupSet
from core.filters import ChoiceFilter, ListFilterSet, SortFilter


class BackupSetFilterSet(ListFilterSet):
    search_fields = ("set_id", "plan_name")

    # Chosen by name among the plans (a handful), never typed as a database id.
    plan = ChoiceFilter(field_name="plan_id", label="Plan", choices=())
    status = ChoiceFilter(choices=BackupSet.Status.choices, label="Status")
    trigger = ChoiceFilter(choices=BackupSet.Trigger.choices, label="Started by")
    sort = SortFilter(
        sorts={"started": "started_at", "size": "ciphertext_bytes", "plan": "plan_name"}, default="-started"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plans = BackupPlan.objects.order_by("name").values_list("pk", "name")
        self.set_choices("plan", lambda: [(str(pk), name) for pk, name in plans])

    class Meta:
        model = BackupSet
        fields: list[str] = []
