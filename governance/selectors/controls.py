"""Read side of controls: permission-filtered lists, coverage and the Statement of Applicability.

Coverage of a framework = applicable requirements (applicable, not removed, not a
section, not covered by an approved exception that has not expired) with at least one
mapped control that is implemented and whose latest test passed. Every figure is
computed in the database.

An exception is active ("in force") while it is approved and not past its end date
(``ComplianceException.in_force``). On a requirement it takes the
requirement out of coverage; on a control it excuses the control from the overdue and
failed-test flags. Only implemented controls are tested on a schedule, so only they
(and their planned tests) can be overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.models import Role, User
from core.permissions import may_hold_object_perms
from governance.models import (
    ComplianceException,
    Control,
    ControlGroupObjectPermission,
    ControlTest,
    ControlUserObjectPermission,
    Framework,
    Outcome,
    Requirement,
)
from governance.scoping import granted_only, may_view, scoped

Mapping = Control.requirements.through


def may_browse_controls(user: User) -> bool:
    """May ``user`` open the control pages at all (globally, as an owner, holding a control, or
    granted controls by a scope, as an auditor of an engagement in progress)?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm("governance.view_control") or user.has_role(Role.CONTROL_OWNER):
        return True
    if not may_hold_object_perms(user, Control):
        # Object permissions on controls count only while a role allows them; a scope may still grant some.
        return may_view(user, Control)
    return (
        ControlUserObjectPermission.objects.filter(user=user).exists()
        or ControlGroupObjectPermission.objects.filter(group__user=user).exists()
    )


def _mapped_count() -> Subquery:
    counts = (
        Mapping.objects.filter(control_id=OuterRef("pk")).values("control_id").annotate(n=Count("pk")).values("n")  # type: ignore[misc]
    )
    return Subquery(counts, output_field=IntegerField())


HIDDEN_CONTROL = "(a control you may not open)"


def control_opener(user: User) -> Callable[[Control], bool]:
    """Whether ``user`` may open each control (one query for object-scoped users, none for the others).

    For pages that name controls linked to something the user may see (a risk's mitigating
    controls): those the user may not open are masked (``HIDDEN_CONTROL``), never titled.
    """
    if user.is_authenticated and user.is_active and user.has_perm("governance.view_control"):
        return lambda control: True
    openable = set(scoped(user, Control.objects.all(), "view").values_list("pk", flat=True))
    return lambda control: control.pk in openable


def controls_visible_to(user: User) -> QuerySet[Control]:
    """Controls ``user`` may see, with the owner joined and the number of mapped requirements."""
    return scoped(user, Control.objects.select_related("owner"), "view").annotate(
        requirement_count=Coalesce(_mapped_count(), Value(0))
    )


def control_tests_visible_to(user: User) -> QuerySet[ControlTest]:
    """Tests of the controls ``user`` may see, with the control, its owner, the tester and assignee joined."""
    tests = ControlTest.objects.select_related("control", "control__owner", "tester", "assignee")
    if user is not None and user.is_authenticated and user.is_active and user.has_perm("governance.view_control"):
        return tests
    return tests.filter(control__in=scoped(user, Control.objects.all(), "view").values("pk"))


# --- Flags: overdue and failed, unless an exception in force excuses the control ---


in_force = ComplianceException.in_force


def excusing_controls(today: date | None = None) -> QuerySet[ComplianceException, Any]:
    """Exceptions in force on a control, as a ``control_id`` column (never NULL, so ``NOT IN`` is safe)."""
    return ComplianceException.objects.filter(in_force(today), control__isnull=False).values("control_id")


FAILING = (Outcome.FAIL, Outcome.PARTIAL)


def excused(today: date | None = None) -> Q:
    """Controls an exception in force excuses (uncorrelated ``IN``, run once)."""
    return Q(pk__in=excusing_controls(today))


def overdue_controls(today: date | None = None) -> Q:
    """Implemented controls whose next test is past due, unless excused."""
    today = today or timezone.localdate()
    return Q(status=Control.Status.IMPLEMENTED, next_test_due__lt=today) & ~excused(today)


def failed_controls(today: date | None = None) -> Q:
    """Controls whose latest test failed or was partial, unless excused."""
    return Q(latest_test_result__in=FAILING) & ~excused(today)


def overdue_tests(today: date | None = None) -> Q:
    """Planned, unperformed tests past due, of implemented controls that no exception excuses."""
    today = today or timezone.localdate()
    return Q(
        result="",
        performed_on__isnull=True,
        due_date__lt=today,
        control__status=Control.Status.IMPLEMENTED,
    ) & ~Q(control_id__in=excusing_controls(today))


def _flag(condition: Q) -> Case:
    """``condition`` as a boolean column."""
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


def _excuse(field: str) -> Subquery:
    active = ComplianceException.objects.filter(in_force(), control_id=OuterRef("pk")).order_by("-expires_on", "pk")
    return Subquery(active.values(field)[:1])


def with_flags(controls: QuerySet[Control]) -> QuerySet[Control]:
    """``controls`` with ``is_overdue`` and the exception that excuses each, if any.

    ``excused_by`` (pk), ``excused_by_title`` and ``excused_until``: the active exception
    on the control that ends last. Computed in the same query as the rows. (The flags other apps
    raise, such as expired evidence, are read for the shown rows only: ``governance.flags``.)
    """
    return controls.annotate(
        is_overdue=_flag(overdue_controls()),
        excused_by=_excuse("pk"),
        excused_by_title=_excuse("title"),
        excused_until=_excuse("expires_on"),
    )


def with_test_flags(tests: QuerySet[ControlTest]) -> QuerySet[ControlTest]:
    """``tests`` with ``is_flagged_overdue``: what the overdue filter and the dashboard count."""
    return tests.annotate(is_flagged_overdue=_flag(overdue_tests()))


def control_for(user: User, pk: int, action: str = "view") -> Control:
    """One control ``user`` may ``action``; raises ``Control.DoesNotExist`` otherwise."""
    return scoped(user, Control.objects.select_related("owner"), action).get(pk=pk)


def control_detail(control: Control, user: User) -> dict[str, Any]:
    """The flags, the mappings, the test history and the findings of one control (four queries).

    ``flags`` is the control as ``with_flags`` gives the list rows (``is_overdue``, ``excused_by``,
    ``excused_by_title``, ``excused_until``); each test carries ``is_flagged_overdue``.
    Mapped requirements are those ``user`` may see; findings are shown to those who see findings
    or hold the control by role (an auditor, whose scope has no findings, sees none).
    """
    flags = with_flags(Control.objects.filter(pk=control.pk))
    tests = with_test_flags(control.tests.select_related("tester")).order_by("-due_date", "-pk")
    requirements = control.requirements.select_related("framework").order_by("framework__name", "order", "pk")
    if not user.has_perm("governance.view_requirement"):
        requirements = granted_only(user, requirements)
    shows_findings = (
        user.has_perm("governance.view_finding")
        or user.has_perm("governance.view_control")
        or may_hold_object_perms(user, Control)
    )
    findings = control.findings.select_related("owner").order_by("-created_at")[:50] if shows_findings else []
    return {
        "flags": flags.only("pk").get(),
        "requirements": list(requirements),
        "tests": list(tests[:100]),
        "findings": list(findings),
    }


# --- Coverage ---


def _active_exception(today: date) -> Exists:
    return Exists(ComplianceException.objects.filter(in_force(today), requirement_id=OuterRef("pk")))


def _passing_control() -> Q:
    """Mapped to an implemented control whose latest test passed.

    An uncorrelated ``IN (...)``, run once, rather than an ``EXISTS`` per requirement:
    SQLite drove that ``EXISTS`` from the passing controls, probing every one of them
    for each requirement (36 s for the dashboard at 10,000 requirements, 3,000 controls).
    """
    passing = Mapping.objects.filter(
        control__status=Control.Status.IMPLEMENTED, control__latest_test_result=Outcome.PASS
    ).values("requirement_id")
    return Q(pk__in=passing)


def in_scope_requirements(today: date | None = None) -> QuerySet[Requirement]:
    """Requirements that count in coverage: applicable, current, not a section, not excepted."""
    today = today or timezone.localdate()
    return Requirement.objects.filter(applicable=True, removed_at__isnull=True, is_section=False).exclude(
        _active_exception(today)
    )


@dataclass(frozen=True)
class Coverage:
    framework: Framework
    applicable: int
    covered: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.covered / self.applicable) if self.applicable else None

    @property
    def uncovered(self) -> int:
        return self.applicable - self.covered


def coverage_by_framework(user: User) -> list[Coverage]:
    """Applicable and covered requirement counts per framework ``user`` may see (two queries).

    One pass over the in-scope requirements grouped by framework counts both figures;
    a count per framework (two correlated sub-selects each) read the requirements twice
    per framework.
    """
    counts = {
        row["framework_id"]: row
        for row in in_scope_requirements()
        .order_by()
        .values("framework_id")
        .annotate(applicable=Count("pk"), covered=Count("pk", filter=_passing_control()))
    }
    frameworks = scoped(user, Framework.objects.all(), "view").order_by("name", "pk")
    empty = {"applicable": 0, "covered": 0}
    return [Coverage(f, counts.get(f.pk, empty)["applicable"], counts.get(f.pk, empty)["covered"]) for f in frameworks]


# --- Statement of Applicability ---

# The status of a row, as the page, the CSV and the filter name it (first match wins).
SOA_STATUSES = (
    ("covered", "Covered"),
    ("uncovered", "Not covered"),
    ("excepted", "Excepted"),
    ("not_applicable", "Not applicable"),
)


def _soa_conditions(today: date) -> dict[str, Q]:
    excepted = _active_exception(today)
    return {
        "not_applicable": Q(applicable=False),
        "excepted": Q(applicable=True) & Q(excepted),
        "covered": Q(applicable=True) & ~excepted & _passing_control(),
        "uncovered": Q(applicable=True) & ~excepted & ~_passing_control(),
    }


def _soa_requirements(framework: Framework) -> QuerySet[Requirement]:
    return Requirement.objects.filter(framework=framework, is_section=False, removed_at__isnull=True)


def statement_of_applicability(framework: Framework, status: str = "") -> QuerySet[Requirement]:
    """Every current, non-section requirement of ``framework`` in tree order (two queries).

    Each row carries ``covered`` (counts in coverage and is covered), ``excepted_until``
    (the expiry of an approved exception, if one is active) and ``mapped_controls``.
    ``status`` (a key of ``SOA_STATUSES``) keeps only the rows in that state; any other
    value keeps them all.
    """
    today = timezone.localdate()
    active = ComplianceException.objects.filter(in_force(today), requirement_id=OuterRef("pk")).order_by("-expires_on")
    mapped = Control.objects.only("pk", "ref", "title", "status", "latest_test_result", "latest_test_on").order_by(
        "ref"
    )
    conditions = _soa_conditions(today)
    rows = _soa_requirements(framework)
    if status in conditions:
        rows = rows.filter(conditions[status])
    return (
        rows.select_related("parent")
        .annotate(
            excepted_until=Subquery(active.values("expires_on")[:1]),
            covered=_flag(conditions["covered"]),
        )
        .prefetch_related(Prefetch("controls", queryset=mapped, to_attr="mapped_controls"))
        .order_by("order", "pk")
    )


def soa_counts(framework: Framework) -> dict[str, int]:
    """How many rows of the Statement of Applicability are in each state of ``SOA_STATUSES`` (one query)."""
    conditions = _soa_conditions(timezone.localdate())
    return _soa_requirements(framework).aggregate(
        **{key: Count("pk", filter=conditions[key]) for key, _ in SOA_STATUSES}
    )


def soa_totals(rows: list[Any]) -> tuple[int, int]:
    """(applicable and not excepted, covered) of Statement of Applicability rows."""
    applicable = len([r for r in rows if r.applicable and r.excepted_until is None])
    return applicable, len([r for r in rows if r.covered])


# --- Dashboard and home ---


@dataclass(frozen=True)
class ControlFigures:
    by_status: dict[str, int]
    total: int
    overdue: int
    failed: int
    never_tested: int
    overdue_tests: int


def control_figures(user: User) -> ControlFigures:
    """Counts behind the dashboard, for the controls ``user`` may see (two queries).

    Overdue counts only implemented controls (and their planned tests); overdue and
    failed leave out controls an exception in force excuses.
    """
    today = timezone.localdate()
    controls = scoped(user, Control.objects.all(), "view").order_by()
    implemented = Q(status=Control.Status.IMPLEMENTED)
    agg = controls.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=overdue_controls(today)),
        failed=Count("pk", filter=failed_controls(today)),
        never_tested=Count("pk", filter=implemented & Q(latest_test_on__isnull=True)),
        **{f"status_{value}": Count("pk", filter=Q(status=value)) for value in Control.Status.values},
    )
    agg["overdue_tests"] = control_tests_visible_to(user).filter(overdue_tests(today)).count()
    return ControlFigures(
        by_status={value: agg[f"status_{value}"] for value in Control.Status.values},
        total=agg["total"],
        overdue=agg["overdue"],
        failed=agg["failed"],
        never_tested=agg["never_tested"],
        overdue_tests=agg["overdue_tests"],
    )


@dataclass(frozen=True)
class OwnerHome:
    shown: bool
    controls: list[Control]
    control_count: int
    overdue: list[Control]
    failed: list[Control]
    planned: list[ControlTest]
    late: list[ControlTest] = field(default_factory=list)  # assigned to the user on others' controls, past due


HOME_LIMIT = 10
HOME_PLANNED_DAYS = 30


def owner_home(user: User) -> OwnerHome:
    """The controls ``user`` owns, those overdue or failing, and tests due within 30 days (fixed queries).

    Overdue and failing leave out controls an exception in force excuses (as the dashboard does).

    A planned test is the assignee's, or the control owner's while nobody is assigned. The
    tests due in the next 30 days start today: one already past due is listed as overdue,
    not again; and a control an exception in force excuses has no test due meanwhile.
    """
    today = timezone.localdate()
    own = Control.objects.filter(owner=user).order_by("next_test_due", "ref")
    planned = ControlTest.objects.filter(
        Q(assignee=user) | Q(assignee__isnull=True, control__owner=user),
        result="",
        performed_on__isnull=True,
        due_date__range=(today, today + timedelta(days=HOME_PLANNED_DAYS)),
    ).exclude(control_id__in=excusing_controls(today))
    # Past-due tests of the controls the user owns show as those controls' overdue tests;
    # those assigned to them on someone else's control are listed on their own.
    late = ControlTest.objects.filter(overdue_tests(today), assignee=user).exclude(control__owner=user)
    count = own.count()
    planned_rows = list(planned.select_related("control").order_by("due_date", "pk")[:HOME_LIMIT])
    late_rows = list(late.select_related("control").order_by("due_date", "pk")[:HOME_LIMIT])
    # Whoever owns no control (most people) pays no query for the three empty lists.
    return OwnerHome(
        late=late_rows,
        shown=bool(count or planned_rows or late_rows) or user.has_role(Role.CONTROL_OWNER),
        controls=list(own[:HOME_LIMIT]) if count else [],
        control_count=count,
        overdue=list(own.filter(overdue_controls(today))[:HOME_LIMIT]) if count else [],
        failed=list(own.filter(failed_controls(today))[:HOME_LIMIT]) if count else [],
        planned=planned_rows,
    )


def soa_status(row: Any) -> str:
    """How the Statement of Applicability words one row's state (page, CSV and API alike)."""
    if not row.applicable:
        return "Not applicable"
    if row.excepted_until is not None:
        return f"Excepted until {row.excepted_until.isoformat()}"
    return "Covered" if row.covered else "Not covered"
