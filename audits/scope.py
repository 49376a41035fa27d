"""What an engagement puts in scope, and the read access it gives its auditors.

Scope: the requirements named, plus every requirement of the frameworks named; the
controls named, plus every control mapped to a requirement in scope; the tests of those
controls; the exceptions, risks and evidence linked to them.

``auditor_scope`` is the ``core.scopes`` provider registered in ``AuditsConfig.ready``:
for a user who audits an engagement *active today* (not closed, today within its period),
the rows in scope of those engagements. It is one filter of sub-selects evaluated by the
database on every request, so an auditor's access ends with the period by itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from audits.engagement_models import active_engagements
from audits.models import Engagement, Evidence, EvidenceRequest, LogEntry
from governance.models import ComplianceException, Control, ControlTest, Framework, Requirement, Risk


def _requirements(engagements: QuerySet[Engagement]) -> QuerySet[Requirement]:
    return Requirement.objects.filter(
        Q(pk__in=engagements.values("requirements")) | Q(framework__in=engagements.values("frameworks"))
    )


def _controls(engagements: QuerySet[Engagement]) -> QuerySet[Control]:
    requirements = _requirements(engagements).values("pk")
    mapped = Control.requirements.through.objects.filter(requirement__in=requirements).values("control")
    return Control.objects.filter(Q(pk__in=engagements.values("controls")) | Q(pk__in=mapped))


def scope_filter(model: type[Model], engagements: QuerySet[Engagement]) -> Q | None:
    """A filter on ``model`` selecting the rows in the scope of ``engagements``; None for other models.

    Each model's filter builds only the sub-selects it uses (building them is most of the cost:
    the database answers in well under a millisecond).
    """
    if model is Requirement:
        return Q(pk__in=_requirements(engagements).values("pk"))
    if model is Framework:
        return Q(pk__in=_requirements(engagements).values("framework"))
    if model is EvidenceRequest:
        return Q(engagement__in=engagements.values("pk"))
    controls = _controls(engagements).values("pk")
    if model is Control:
        return Q(pk__in=controls)
    if model is ControlTest:
        return Q(control__in=controls)
    if model is Risk:
        return Q(pk__in=Risk.controls.through.objects.filter(control__in=controls).values("risk"))
    requirements = _requirements(engagements).values("pk")
    if model is ComplianceException:
        return Q(control__in=controls) | Q(requirement__in=requirements)
    if model is Evidence:
        tests = ControlTest.objects.filter(control__in=controls).values("pk")
        linked = (
            Q(controls__in=controls)
            | Q(requirements__in=requirements)
            | Q(control_tests__in=tests)
            | Q(requests__engagement__in=engagements.values("pk"))
        )
        return Q(pk__in=Evidence.objects.filter(linked).values("pk"))
    return None


def in_scope(model: type[Model], engagement: Engagement) -> QuerySet[Any]:
    """The rows of ``model`` in the scope of one engagement (for its pages and its pack)."""
    found = scope_filter(model, Engagement.objects.filter(pk=engagement.pk))
    manager: Any = model._default_manager
    return manager.filter(found) if found is not None else manager.none()


def active_engagements_of(user: Any, today: date | None = None) -> QuerySet[Engagement]:
    return Engagement.objects.filter(active_engagements(today), auditors=user)


def auditor_scope(user: Any, model: type[Model]) -> Q | None:
    """The ``core.scopes`` provider: rows of ``model`` in the scope of ``user``'s active engagements."""
    if model not in SCOPED_MODELS:
        return None
    return scope_filter(model, active_engagements_of(user))


def trail_entries_in_scope(engagement: Engagement, start: Any = None, end: Any = None) -> QuerySet[LogEntry]:
    """Audit-trail entries of the objects in scope (optionally within ``[start, end)`` datetimes)."""
    condition = Q()
    for model in SCOPED_MODELS:
        pks = in_scope(model, engagement).values_list("pk", flat=True)
        content_type = ContentType.objects.get_for_model(model)
        condition |= Q(content_type=content_type, object_id__in=pks)
    entries = LogEntry.objects.filter(condition)
    if start is not None:
        entries = entries.filter(timestamp__gte=start)
    if end is not None:
        entries = entries.filter(timestamp__lt=end)
    return entries.order_by("sequence")


def trail_entries_granted_to(user: Any) -> QuerySet[LogEntry]:
    """Audit-trail entries of the objects in scope of ``user``'s engagements active today (an auditor's trail)."""
    engagements = active_engagements_of(user)
    condition = Q()
    for model in SCOPED_MODELS:
        found = scope_filter(model, engagements)
        if found is None:
            continue
        pks = model._default_manager.filter(found).values("pk")
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=pks)
    return LogEntry.objects.filter(condition)


SCOPED_MODELS: tuple[type[Model], ...] = (
    Framework,
    Requirement,
    Control,
    ControlTest,
    ComplianceException,
    Risk,
    Evidence,
    EvidenceRequest,
)
