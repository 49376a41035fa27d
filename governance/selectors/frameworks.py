"""Read side of frameworks and requirements: permission-filtered, annotated querysets.

Counts are correlated subqueries, evaluated only for the rows of the page, so a
list costs the same number of queries with 1 row or 10,000.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from access.models import User
from governance.models import Control, Framework, Requirement
from governance.scoping import granted_only, scoped

RequirementControls = Control.requirements.through


def _count_of(queryset: QuerySet[Any], column: str) -> Coalesce:
    counted = queryset.order_by().values(column).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def frameworks_visible_to(*, user: User) -> QuerySet[Framework]:
    """Frameworks the user may see, with counts of current and applicable requirements.

    Requirements never count the sections (headings) that group them; those are counted
    apart (``section_count``), and removed requirements too (``removed_count``), so every
    page says the same: "38 requirements in 8 sections, 3 removed".

    A coverage figure (applicable requirements met by a tested control) belongs to the
    controls area; it can be added here as one more annotation.
    """
    current = Requirement.objects.filter(framework=OuterRef("pk"), removed_at__isnull=True, is_section=False)
    return (
        scoped(user, Framework.objects.all())
        .select_related("imported_by", "owner")
        .annotate(
            requirement_count=_count_of(current, "framework"),
            section_count=_count_of(
                Requirement.objects.filter(framework=OuterRef("pk"), removed_at__isnull=True, is_section=True),
                "framework",
            ),
            applicable_count=_count_of(current.filter(applicable=True), "framework"),
            removed_count=_count_of(
                Requirement.objects.filter(framework=OuterRef("pk"), removed_at__isnull=False, is_section=False),
                "framework",
            ),
        )
    )


def framework_for(*, user: User, pk: int) -> Framework:
    """One framework the user may see; ``Framework.DoesNotExist`` otherwise."""
    return frameworks_visible_to(user=user).get(pk=pk)


def requirements_visible_to(*, user: User) -> QuerySet[Requirement]:
    """Requirements of frameworks the user may see, with their framework, parent and control count.

    Without ``governance.view_requirement``, only the requirements a scope grants (an auditor's
    engagement in progress): nothing else of the same framework.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Requirement.objects.none()
    if user.has_perm("governance.view_requirement"):
        visible = Requirement.objects.filter(framework__in=scoped(user, Framework.objects.all()))
    else:
        visible = granted_only(user, Requirement.objects.all())
    links = RequirementControls.objects.filter(requirement_id=OuterRef("pk"))
    return visible.select_related("framework", "parent", "owner").annotate(
        control_count=_count_of(links, "requirement_id"), has_controls=Exists(links)
    )


def requirement_tree(*, user: User, framework: Framework) -> QuerySet[Requirement]:
    """A framework's requirements in tree order (pre-order), removed ones included."""
    return requirements_visible_to(user=user).filter(framework=framework).order_by("order", "pk")


def requirement_for(*, user: User, pk: int) -> Requirement:
    return requirements_visible_to(user=user).get(pk=pk)


def controls_of_requirement(*, user: User, requirement: Requirement) -> QuerySet[Control]:
    """Controls mapped to the requirement that the user may see (owners see their own)."""
    return scoped(user, Control.objects.filter(requirements=requirement)).select_related("owner").order_by("ref")


def children_of(*, user: User, requirement: Requirement) -> QuerySet[Requirement]:
    """The requirement's children that ``user`` may see (an auditor: those in scope)."""
    if user.has_perm("governance.view_requirement"):
        return requirement.children.order_by("order")
    return granted_only(user, requirement.children.all()).order_by("order")


def framework_choices(*, user: User) -> list[tuple[str, str]]:
    """Filter options: key and name of every framework the user may see (one query)."""
    rows = scoped(user, Framework.objects.all()).order_by("name").values_list("key", "name", "version")
    return [(key, f"{name} {version}".strip()) for key, name, version in rows]
