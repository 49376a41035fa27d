"""Applicability decisions: the rules of the service and their audit trail."""

from __future__ import annotations

import pytest
from auditlog import get_logentry_model
from django.core.exceptions import ValidationError

from access.models import User
from core.actor import acting
from core.errors import PermissionDeniedError
from governance.models import Framework, Requirement
from governance.services.frameworks import set_applicability_bulk, set_requirement_applicability

pytestmark = pytest.mark.django_db


def test_not_applicable_needs_a_justification(officer_olga: User, baseline: Framework) -> None:
    requirement = Requirement.objects.get(ref_id="AC-2")
    with pytest.raises(ValidationError) as caught:
        set_requirement_applicability(actor=officer_olga, requirement=requirement, applicable=False, justification=" ")
    assert "justification" in caught.value.message_dict
    requirement.refresh_from_db()
    assert requirement.applicable


def test_decision_is_saved_and_audited(officer_olga: User, baseline: Framework) -> None:
    requirement = Requirement.objects.get(ref_id="AC-2")
    with acting(officer_olga, via="test"):
        set_requirement_applicability(
            actor=officer_olga, requirement=requirement, applicable=False, justification="  Single-person office "
        )
    requirement.refresh_from_db()
    assert (requirement.applicable, requirement.justification) == (False, "Single-person office")
    entry = get_logentry_model().objects.filter(object_pk=str(requirement.pk)).order_by("-sequence").first()
    assert entry is not None
    assert entry.actor == officer_olga
    assert entry.changes["applicable"] == ["True", "False"]
    # Back to applicable: no justification needed.
    set_requirement_applicability(actor=officer_olga, requirement=requirement, applicable=True, justification="")
    requirement.refresh_from_db()
    assert requirement.applicable


@pytest.mark.parametrize("persona", ["owner_omar", "it_ivan", "auditor_aude", "employee_emil"])
def test_only_editors_decide(personas: object, baseline: Framework, persona: str) -> None:
    requirement = Requirement.objects.get(ref_id="AC-2")
    with pytest.raises(PermissionDeniedError):
        set_requirement_applicability(
            actor=personas[persona],  # type: ignore[index]
            requirement=requirement,
            applicable=False,
            justification="No",
        )
    requirement.refresh_from_db()
    assert requirement.applicable


def test_bulk_decision_is_all_or_nothing(officer_olga: User, baseline: Framework) -> None:
    requirements = Requirement.objects.filter(ref_id__startswith="BK-")
    with pytest.raises(ValidationError):
        set_applicability_bulk(actor=officer_olga, requirements=requirements, applicable=False, justification="")
    assert not Requirement.objects.filter(applicable=False).exists()
    count = set_applicability_bulk(
        actor=officer_olga, requirements=requirements, applicable=False, justification="Outsourced"
    )
    assert count == 2
    assert set(Requirement.objects.filter(applicable=False).values_list("ref_id", flat=True)) == {"BK-1", "BK-2"}
