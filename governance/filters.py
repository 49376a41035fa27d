"""Filters of every governance list, shared by the pages, their CSV exports and the API.

Each class is a ``core.filters.ListFilterSet``: search (``q``), the filters a person sees
on the filter bar and ``sort``. Filters whose meaning needs a rule (a test overdue, an
exception ending soon) ask the selectors, so the list counts exactly what the dashboard
counts.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from access.models import User
from core.filters import (
    ChoiceFilter,
    DateFilter,
    IdFilter,
    ListFilterSet,
    PickerFilter,
    SortFilter,
    YesNoFilter,
    clean_text,
)
from governance.models import Asset as AssetModel
from governance.models import (
    ComplianceException,
    Control,
    ControlTest,
    Finding,
    Framework,
    Frequency,
    Outcome,
    Risk,
    RiskMatrix,
)
from governance.scoping import scoped
from governance.selectors import controls as control_selectors
from governance.selectors import frameworks as framework_selectors
from governance.selectors import risks as risk_selectors
from governance.selectors.exceptions import expiry_condition
from governance.selectors.pickers import ASSETS, CONTROLS, PEOPLE

NO_OWNER = {"none": "No owner"}


def owner_filter(label: str = "Owner", field_name: str = "owner_id") -> PickerFilter:
    """A filter on a person, picked by typing (the page never lists every user)."""
    return PickerFilter(label=label, field_name=field_name, picker=PEOPLE)


# --- Frameworks and requirements ---


class FrameworkFilterSet(ListFilterSet):
    search_fields = ("name", "key", "publisher", "description")

    source = ChoiceFilter(label="Source", choices=Framework.Source.choices)
    owner = owner_filter()
    sort = SortFilter(
        sorts={
            "name": "name",
            "key": "key",
            "version": "version",
            "requirements": "requirement_count",
            "imported": "imported_at",
        },
        default="name",
    )


class RequirementFilterSet(ListFilterSet):
    search_fields = ("ref_id", "title", "text")

    framework = ChoiceFilter(label="Framework", field_name="framework__key", choices=())
    applicable = YesNoFilter(label="Applicable", field_name="applicable", labels=("Applicable", "Not applicable"))
    removed = YesNoFilter(label="Status", field_name="removed_at__isnull", labels=("Removed", "Current"), invert=True)
    controls = YesNoFilter(label="Controls", field_name="has_controls", labels=("With controls", "Without controls"))
    kind = ChoiceFilter(
        label="Kind", choices=(("requirement", "Requirements"), ("section", "Sections")), method="filter_kind"
    )
    owner = owner_filter()
    sort = SortFilter(
        sorts={
            "framework": "framework__name",
            "ref_id": "ref_id",
            "title": "title",
            "applicable": "applicable",
            "controls": "control_count",
            "updated": "updated_at",
        }
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.viewer
        self.set_choices(
            "framework", lambda: framework_selectors.framework_choices(user=viewer) if viewer is not None else []
        )

    def filter_kind(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(is_section=value == "section")


# --- Controls and their tests ---


def _today() -> Any:
    return timezone.localdate()


# "Overdue" and "failed" count only what the dashboard counts: overdue is for implemented
# controls, and an exception in force on a control excuses it from both.
TEST_STATES: dict[str, tuple[str, Any]] = {
    "overdue": ("Test overdue", lambda: control_selectors.overdue_controls(_today())),
    "failed": ("Latest test failed or partial", lambda: control_selectors.failed_controls(_today())),
    "never": (
        "Implemented, never tested",
        lambda: Q(status=Control.Status.IMPLEMENTED, latest_test_on__isnull=True),
    ),
    "passing": ("Latest test passed", lambda: Q(latest_test_result=Outcome.PASS)),
}


class ControlFilterSet(ListFilterSet):
    search_fields = ("ref", "title", "description")

    status = ChoiceFilter(label="Status", choices=Control.Status.choices)
    owner = PickerFilter(label="Owner", field_name="owner_id", picker=PEOPLE, extras=NO_OWNER, method="filter_owner")
    frequency = ChoiceFilter(label="Test frequency", field_name="test_frequency", choices=Frequency.choices)
    test = ChoiceFilter(
        label="Test state", choices=[(k, v[0]) for k, v in TEST_STATES.items()], method="filter_test_state"
    )
    framework = ChoiceFilter(label="Framework", choices=(), method="filter_framework")
    sort = SortFilter(
        sorts={
            "ref": "ref",
            "title": "title",
            "status": "status",
            "owner": "owner__full_name",
            "latest": "latest_test_on",
            "due": "next_test_due",
            "requirements": "requirement_count",
        },
        default="ref",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        viewer = self.viewer
        # Only frameworks the viewer may see (an auditor: those of the engagement's scope).
        frameworks = scoped(viewer, Framework.objects.all()) if viewer is not None else Framework.objects.none()
        rows = frameworks.order_by("name").values_list("pk", "name")
        self.set_choices("framework", lambda: [(str(pk), name) for pk, name in rows])

    # Subqueries on the bare table keep the list's annotated query simple (one join less).
    def filter_owner(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        condition = Q(owner__isnull=True) if value == "none" else Q(owner_id=value)
        return qs.filter(pk__in=Control.objects.filter(condition).values("pk"))

    def filter_test_state(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=Control.objects.filter(TEST_STATES[value][1]()).values("pk"))

    def filter_framework(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(
            pk__in=control_selectors.Mapping.objects.filter(requirement__framework_id=int(value)).values("control_id")
        )


class ControlTestFilterSet(ListFilterSet):
    search_fields = ("control__ref", "control__title", "notes")

    result = ChoiceFilter(label="Result", choices=Outcome.choices)
    overdue = ChoiceFilter(label="Overdue", choices=(("yes", "Overdue only"),), method="filter_overdue")
    planned = ChoiceFilter(label="Planned", choices=(("yes", "Not performed yet"),), method="filter_planned")
    owner = owner_filter("Control owner", "control__owner_id")
    assignee = owner_filter("Assigned to", "assignee_id")
    control = PickerFilter(label="Control", field_name="control_id", picker=CONTROLS)
    performed_from = DateFilter(label="Performed from", field_name="performed_on", lookup_expr="gte")
    performed_to = DateFilter(label="Performed until", field_name="performed_on", lookup_expr="lte")
    sort = SortFilter(
        sorts={"due": "due_date", "performed": "performed_on", "control": "control__ref", "result": "result"},
        default="-due",
    )

    def filter_overdue(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=ControlTest.objects.filter(control_selectors.overdue_tests(_today())).values("pk"))

    def filter_planned(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=ControlTest.objects.filter(result="", performed_on__isnull=True).values("pk"))


# The control-test filters' former names (``from``, ``to``) keep working in saved links.
ControlTestFilterSet.base_filters["from"] = ControlTestFilterSet.base_filters.pop("performed_from")
ControlTestFilterSet.base_filters["to"] = ControlTestFilterSet.base_filters.pop("performed_to")
ControlTestFilterSet.base_filters["sort"] = ControlTestFilterSet.base_filters.pop("sort")


# --- Risks, assets, exceptions, findings ---


class RiskFilterSet(ListFilterSet):
    search_fields = ("ref", "title", "threat", "vulnerability")

    status = ChoiceFilter(label="Status", choices=Risk.Status.choices)
    treatment = ChoiceFilter(label="Treatment", choices=Risk.Treatment.choices)
    owner = owner_filter()
    asset = PickerFilter(label="Asset", field_name="assets__id", picker=ASSETS)
    band = ChoiceFilter(label="Residual band", choices=(), method="filter_band")
    review = ChoiceFilter(label="Review", choices=(("overdue", "Review overdue"),), method="filter_review")
    acceptance = ChoiceFilter(
        label="Acceptance",
        choices=tuple((key, label) for key, (label, _) in risk_selectors.ACCEPTANCE_WINDOWS.items()),
        method="filter_acceptance",
    )
    sort = SortFilter(
        sorts={
            "residual": "residual_score",
            "inherent": "inherent_score",
            "review": "review_date",
            "ref": "ref",
            "title": "title",
        },
        default="-residual",
    )

    def __init__(self, *args: Any, matrix: RiskMatrix | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ranges = risk_selectors.band_ranges(matrix or risk_selectors.risk_matrix())
        self.set_choices("band", [(str(i), f"{b['label']} ({lo}-{hi})") for i, (lo, hi, b) in enumerate(self.ranges)])

    def filter_band(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        low, high, _ = self.ranges[int(value)]
        return qs.filter(residual_score__range=(low, high))

    def filter_review(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(review_date__lt=timezone.localdate())

    def filter_acceptance(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(acceptance_expires_on__range=risk_selectors.acceptance_window(value))


class RiskHeatMapFilterSet(RiskFilterSet):
    """The register's filters the heat map takes (it has no order)."""


RiskHeatMapFilterSet.base_filters.pop("sort")


class AssetFilterSet(ListFilterSet):
    search_fields = ("name", "description", "vendor")

    kind = ChoiceFilter(label="Kind", choices=AssetModel.Kind.choices)
    classification = ChoiceFilter(
        label="Classification", field_name="data_classification", choices=AssetModel.Classification.choices
    )
    criticality = ChoiceFilter(label="Criticality", choices=AssetModel.Criticality.choices)
    owner = owner_filter()
    active = YesNoFilter(label="State", field_name="is_active", labels=("Active", "Inactive"))
    sort = SortFilter(
        sorts={
            "name": "name",
            "kind": "kind",
            "criticality": "criticality_rank",
            "owner": "owner__email",
            "risks": "open_risks",
        },
        default="name",
    )


EXPIRY_CHOICES = (("30", "Ending within 30 days"), ("90", "Ending within 90 days"), ("expired", "Expired"))


class ExceptionFilterSet(ListFilterSet):
    search_fields = ("title", "reason", "requirement__ref_id", "control__ref")

    status = ChoiceFilter(label="Status", choices=ComplianceException.Status.choices)
    expiry = ChoiceFilter(label="Expiry", choices=EXPIRY_CHOICES, method="filter_expiry")
    owner = owner_filter()
    sort = SortFilter(
        sorts={"expires": "expires_on", "title": "title", "created": "created_at", "status": "status"},
        default="expires",
    )

    def filter_expiry(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=ComplianceException.objects.filter(expiry_condition(value)).values("pk"))


class FindingFilterSet(ListFilterSet):
    search_fields = ("title", "description", "control__ref", "risk__ref")

    status = ChoiceFilter(label="Status", choices=Finding.Status.choices)
    severity = ChoiceFilter(label="Severity", choices=Finding.Severity.choices)
    due = ChoiceFilter(label="Due", choices=(("overdue", "Overdue"),), method="filter_due")
    owner = owner_filter()
    sort = SortFilter(
        sorts={
            "created": "created_at",
            "due": "due_date",
            "title": "title",
            "severity": "severity",
            "status": "status",
        },
        default="-created",
    )

    def filter_due(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(due_date__lt=timezone.localdate())


__all__ = [
    "AssetFilterSet",
    "ControlFilterSet",
    "ControlTestFilterSet",
    "ExceptionFilterSet",
    "FindingFilterSet",
    "FrameworkFilterSet",
    "IdFilter",
    "RequirementFilterSet",
    "RiskFilterSet",
]


def risk_heat_map(
    user: User, view: str, params: MappingType[str, Any]
) -> tuple[risk_selectors.HeatMap, dict[str, list[str]]]:
    """The heat map of the risks ``user`` may see, narrowed by the register's filters in ``params``.

    Values the register refuses are left out and returned as errors (the API answers
    400 with them); the matrix is read once for the band filter and the grid.
    """
    matrix = risk_selectors.risk_matrix()
    filterset = RiskHeatMapFilterSet(params, queryset=scoped(user, Risk.objects.all()), matrix=matrix)
    errors = filterset.error_messages()
    kept = {
        name: clean_text(params.get(name), 100)
        for name in filterset.filters
        if name != "sort" and name not in errors and clean_text(params.get(name), 100)
    }
    return risk_selectors.heat_map_of(filterset.qs, view=view, matrix=matrix, kept=kept), errors
