"""Policy-document reads: who sees which policy, what each person must read, acknowledgement rates.

- People who manage policies (``policies.change_policy``: Administrators, Compliance officers) see
  every policy, every version and the rates.
- Anyone else with ``policies.view_policy`` (Employees, IT administrators, Control owners) sees only
  the policies addressed to them (their role is in the audience, or they were chosen) that have a
  published version, and of those only the published text. Everyone else sees nothing.

Audience sizes and acknowledgement counts are counted in the database (subqueries), so a list
costs the same number of queries with 1 policy or 500.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.models import User
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion

VIEW = "policies.view_policy"
MANAGE = "policies.change_policy"
ACKNOWLEDGE = "policies.acknowledge_policy"
PUBLISHED = PolicyVersion.Status.PUBLISHED
DUE_SOON_DAYS = 30


def may_view(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(VIEW))


def may_manage(user: Any) -> bool:
    return bool(may_view(user) and user.has_perm(MANAGE))


def audience_members(policy_ref: Any) -> QuerySet[User]:
    """Active people in the audience of the policy ``policy_ref`` (a pk, or an ``OuterRef`` to one)."""
    in_roles = User.groups.through.objects.filter(group__audience_of_policies=policy_ref).values("user_id")
    chosen = Policy.audience_people.through.objects.filter(policy_id=policy_ref).values("user_id")
    return User.objects.filter(is_active=True).filter(Q(pk__in=in_roles) | Q(pk__in=chosen))


def _count(queryset: QuerySet) -> Coalesce:
    """The number of rows of ``queryset`` as a subquery (one ``COUNT`` row, no GROUP BY)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _acked_published(policy_ref: Any) -> QuerySet[PolicyAcknowledgement]:
    return PolicyAcknowledgement.objects.filter(version__policy_id=policy_ref, version__status=PUBLISHED)


def addressed_to(user: Any) -> Q:
    """Policies whose audience includes ``user`` (by role or by name)."""
    by_role = Policy.audience_roles.through.objects.filter(group__user=user.pk).values("policy_id")
    by_name = Policy.audience_people.through.objects.filter(user_id=user.pk).values("policy_id")
    return Q(pk__in=by_role) | Q(pk__in=by_name)


def _with_published(queryset: QuerySet[Policy]) -> QuerySet[Policy]:
    published = PolicyVersion.objects.filter(policy_id=OuterRef("pk"), status=PUBLISHED)
    open_version = PolicyVersion.objects.filter(policy_id=OuterRef("pk"), status__in=PolicyVersion.OPEN)
    return queryset.annotate(
        published_id=Subquery(published.values("pk")[:1]),
        published_number=Subquery(published.values("number")[:1]),
        published_at=Subquery(published.values("published_at")[:1]),
        open_status=Subquery(open_version.values("status")[:1]),
        latest_number=Subquery(
            PolicyVersion.objects.filter(policy_id=OuterRef("pk")).order_by("-number").values("number")[:1]
        ),
    )


def with_rates(queryset: QuerySet[Policy]) -> QuerySet[Policy]:
    """Annotate ``audience_count`` and ``acknowledged_count`` (of the published version, by its audience)."""
    members = audience_members(OuterRef(OuterRef("pk")))
    acked = members.filter(pk__in=_acked_published(OuterRef(OuterRef("pk"))).values("user_id"))
    return queryset.annotate(audience_count=_count(members), acknowledged_count=_count(acked))


def policies_visible_to(user: Any) -> QuerySet[Policy]:
    if not may_view(user):
        return Policy.objects.none()
    queryset = _with_published(Policy.objects.select_related("owner"))
    if may_manage(user):
        return with_rates(queryset)
    mine = PolicyAcknowledgement.objects.filter(
        user_id=user.pk, version__policy_id=OuterRef("pk"), version__status=PUBLISHED
    )
    return queryset.filter(addressed_to(user), versions__status=PUBLISHED).annotate(acknowledged_by_me=Exists(mine))


def policy_for(user: Any, pk: int) -> Policy:
    return policies_visible_to(user).get(pk=pk)


def versions_of(user: Any, policy: Policy) -> QuerySet[PolicyVersion]:
    """The versions ``user`` may read, newest first: all for managers, the published one for readers."""
    versions = PolicyVersion.objects.filter(policy=policy).select_related("author", "approver", "published_by")
    if may_manage(user):
        return versions
    if not may_view(user):
        return versions.none()
    return versions.filter(status=PUBLISHED)


def version_for(user: Any, policy: Policy, number: int) -> PolicyVersion:
    return versions_of(user, policy).get(number=number)


def versions_with_rates(policy: Policy) -> QuerySet[PolicyVersion]:
    """Every version with ``ack_count`` (all acknowledgements) and ``ack_in_audience`` (by today's audience)."""
    members = audience_members(OuterRef(OuterRef("policy_id")))
    acked = members.filter(
        pk__in=PolicyAcknowledgement.objects.filter(version_id=OuterRef(OuterRef("pk"))).values("user_id")
    )
    return (
        PolicyVersion.objects.filter(policy=policy)
        .select_related("author", "approver", "published_by")
        .annotate(ack_count=Count("acknowledgements"), ack_in_audience=_count(acked))
    )


def rate(acknowledged: int | None, audience: int | None) -> float | None:
    """Per cent, one decimal; ``None`` when nobody is in the audience."""
    if not audience:
        return None
    return round(100.0 * (acknowledged or 0) / audience, 1)


def to_acknowledge(user: Any) -> QuerySet[PolicyVersion]:
    """The published versions addressed to ``user`` that they have not acknowledged, oldest first."""
    if not (may_view(user) and user.has_perm(ACKNOWLEDGE)):
        return PolicyVersion.objects.none()
    addressed = Policy.objects.filter(addressed_to(user)).values("pk")
    done = PolicyAcknowledgement.objects.filter(user_id=user.pk, version_id=OuterRef("pk"))
    return (
        PolicyVersion.objects.filter(status=PUBLISHED, policy_id__in=addressed)
        .exclude(Exists(done))
        .select_related("policy")
        .order_by("published_at", "pk")
    )


def acknowledged_by(user: Any) -> QuerySet[PolicyAcknowledgement]:
    return PolicyAcknowledgement.objects.filter(user_id=user.pk).select_related("version__policy")


def is_addressed(user: Any, policy: Policy) -> bool:
    return Policy.objects.filter(addressed_to(user), pk=policy.pk).exists()


def not_acknowledged(version: PolicyVersion) -> QuerySet[User]:
    """Audience members of ``version``'s policy who have not acknowledged it."""
    done = PolicyAcknowledgement.objects.filter(version=version).values("user_id")
    return audience_members(version.policy_id).exclude(pk__in=done).order_by("email")


def acknowledgements_of(version: PolicyVersion) -> QuerySet[PolicyAcknowledgement]:
    return version.acknowledgements.select_related("user").order_by("acknowledged_at", "pk")


def reviews_due(user: Any, *, today: date | None = None, within_days: int = DUE_SOON_DAYS) -> QuerySet[Policy]:
    """Policies whose review is overdue or due within ``within_days`` (managers only), most urgent first."""
    if not may_manage(user):
        return Policy.objects.none()
    today = today or timezone.localdate()
    return (
        Policy.objects.filter(next_review_due__lte=today + timedelta(days=within_days))
        .select_related("owner")
        .order_by("next_review_due", "title")
    )


def dashboard_panel(user: Any) -> dict[str, Any] | None:
    """The compliance dashboard's panel: overdue and coming reviews, and policies below full acknowledgement."""
    if not may_manage(user):
        return None
    today = timezone.localdate()
    due = list(reviews_due(user, today=today)[:10])
    annotated: Any = with_rates(_with_published(Policy.objects.all()))  # filters on its annotations
    unacked = annotated.filter(published_id__isnull=False, audience_count__gt=F("acknowledged_count"))
    unacked = unacked.order_by("title")[:10]
    rows = [(p, rate(p.acknowledged_count, p.audience_count)) for p in unacked]
    return {
        "overdue": [p for p in due if p.next_review_due and p.next_review_due < today],
        "due_soon": [p for p in due if p.next_review_due and p.next_review_due >= today],
        "overdue_count": Policy.objects.filter(next_review_due__lt=today).count(),
        "unacknowledged": rows,
        "today": today,
        "window_days": DUE_SOON_DAYS,
    }
