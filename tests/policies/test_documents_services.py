"""Policy documents through the services: workflow, segregation of duties, immutability, review dates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from access.models import User
from audits.models import LogEntry
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from policies.models import ImmutableVersionError, Policy, PolicyVersion
from policies.services import documents as services
from tests.policies.documents_helpers import BODY, draft_policy, publish, published_policy, second_officer

Status = PolicyVersion.Status


@pytest.fixture
def otto(personas: Any) -> User:
    return second_officer()


def test_create_policy_makes_a_first_draft_written_by_the_actor(officer_olga: User) -> None:
    policy = draft_policy(officer_olga)
    version = policy.versions.get()
    assert (version.number, version.status, version.author, version.body) == (1, Status.DRAFT, officer_olga, BODY)
    assert policy.owner == officer_olga
    assert list(policy.audience_roles.values_list("name", flat=True)) == ["Employee"]


def test_create_policy_names_the_field_that_is_wrong(officer_olga: User) -> None:
    with pytest.raises(ValidationError) as empty:
        services.create_policy(actor=officer_olga, title="Empty", body="   ")
    assert "body" in empty.value.message_dict
    draft_policy(officer_olga)
    with pytest.raises(ValidationError) as twice:
        draft_policy(officer_olga, title="ACCEPTABLE USE POLICY")
    assert "title" in twice.value.message_dict
    with pytest.raises(ValidationError) as cycle:
        services.create_policy(actor=officer_olga, title="Cycle", body="x", review_cycle_months=0)
    assert "review_cycle_months" in cycle.value.message_dict


@pytest.mark.parametrize("persona", ["employee_emil", "it_ivan", "owner_omar", "auditor_aude"])
def test_only_policy_writers_create_policies(personas: Any, persona: str) -> None:
    with pytest.raises(PermissionDeniedError):
        draft_policy(personas[persona])
    assert not Policy.objects.exists()


def test_the_author_cannot_approve_their_own_version(officer_olga: User) -> None:
    version = draft_policy(officer_olga).versions.get()
    services.submit_for_review(actor=officer_olga, version=version)
    with pytest.raises(SegregationOfDutiesError, match="cannot approve"):
        services.approve_version(actor=officer_olga, version=version)
    version.refresh_from_db()
    assert version.status == Status.IN_REVIEW and version.approver is None


def test_the_last_editor_of_a_draft_counts_as_its_author(officer_olga: User, otto: User) -> None:
    version = draft_policy(officer_olga).versions.get()
    services.edit_draft(actor=otto, version=version, body=BODY + "\nOtto's line.\n")
    services.submit_for_review(actor=otto, version=version)
    with pytest.raises(SegregationOfDutiesError):
        services.approve_version(actor=otto, version=version)
    assert services.approve_version(actor=officer_olga, version=version).approver == officer_olga


def test_another_officer_approves_and_the_trail_names_each_actor(officer_olga: User, otto: User) -> None:
    from core.actor import acting

    with acting(officer_olga, via="test"):
        version = draft_policy(officer_olga).versions.get()
        services.submit_for_review(actor=officer_olga, version=version)
    with acting(otto, via="test"):
        services.approve_version(actor=otto, version=version)
    version.refresh_from_db()
    assert version.status == Status.APPROVED and version.approver == otto and version.approved_at
    entries = LogEntry.objects.get_for_object(version).order_by("pk")
    assert [e.actor for e in entries] == [officer_olga, officer_olga, otto]


def test_employees_cannot_approve_or_publish(officer_olga: User, otto: User, employee_emil: User) -> None:
    version = draft_policy(officer_olga).versions.get()
    services.submit_for_review(actor=officer_olga, version=version)
    with pytest.raises(PermissionDeniedError):
        services.approve_version(actor=employee_emil, version=version)
    services.approve_version(actor=otto, version=version)
    with pytest.raises(PermissionDeniedError):
        services.publish_version(actor=employee_emil, version=version)


def test_workflow_steps_need_the_right_status(officer_olga: User, otto: User) -> None:
    version = draft_policy(officer_olga).versions.get()
    with pytest.raises(DomainError, match="is draft"):
        services.approve_version(actor=otto, version=version)
    with pytest.raises(DomainError, match="needs a version approved"):
        services.publish_version(actor=otto, version=version)
    services.submit_for_review(actor=officer_olga, version=version)
    with pytest.raises(DomainError, match="in review"):
        services.edit_draft(actor=officer_olga, version=version, body="changed")
    services.return_to_draft(actor=otto, version=version, note="Say who to call.")
    version.refresh_from_db()
    assert version.status == Status.DRAFT and "Say who to call." in version.change_note


def test_publishing_retires_the_previous_version_and_sets_the_review_date(officer_olga: User, otto: User) -> None:
    with time_machine.travel(date(2026, 1, 31), tick=False):
        policy = published_policy(officer_olga, otto)
    policy.refresh_from_db()
    assert policy.next_review_due == date(2027, 1, 31)
    draft = services.start_new_draft(actor=officer_olga, policy=policy, change_note="Add travel rules")
    assert (draft.number, draft.body, draft.status) == (2, BODY, Status.DRAFT)
    services.edit_draft(actor=officer_olga, version=draft, body=BODY + "\n## Travel\n", change_note="Travel")
    with time_machine.travel(date(2026, 3, 1), tick=False):
        publish(draft, officer_olga, otto)
    first = policy.versions.get(number=1)
    assert first.status == Status.RETIRED and first.retired_at is not None
    assert policy.versions.get(number=2).status == Status.PUBLISHED
    assert policy.versions.filter(status=Status.PUBLISHED).count() == 1


def test_one_draft_at_a_time(officer_olga: User, otto: User) -> None:
    policy = published_policy(officer_olga, otto)
    services.start_new_draft(actor=officer_olga, policy=policy)
    with pytest.raises(DomainError, match="already has a draft"):
        services.start_new_draft(actor=otto, policy=policy)


def test_an_approved_version_never_changes(officer_olga: User, otto: User) -> None:
    policy = published_policy(officer_olga, otto)
    version = policy.versions.get(number=1)
    with pytest.raises(DomainError, match="needs a version draft"):
        services.edit_draft(actor=officer_olga, version=version, body="Anything goes.")
    version.body = "Anything goes."
    with pytest.raises(ImmutableVersionError, match="cannot change"):
        version.save()
    version.refresh_from_db()
    version.approver = officer_olga
    with pytest.raises(ImmutableVersionError):
        version.save()
    version.refresh_from_db()
    version.status = Status.DRAFT
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        PolicyVersion.objects.get(pk=version.pk).delete()
    assert PolicyVersion.objects.get(pk=version.pk).body == BODY


def test_retire_policy_withdraws_the_published_version(officer_olga: User, otto: User) -> None:
    policy = published_policy(officer_olga, otto)
    services.retire_policy(actor=otto, policy=policy)
    assert not policy.versions.filter(status=Status.PUBLISHED).exists()
    policy.refresh_from_db()
    assert policy.next_review_due is None
    with pytest.raises(DomainError, match="no published"):
        services.retire_policy(actor=otto, policy=policy)


def test_mark_reviewed_moves_the_next_review_one_cycle_from_today(officer_olga: User, otto: User) -> None:
    with time_machine.travel(date(2026, 1, 10), tick=False):
        policy = published_policy(officer_olga, otto)
    policy.refresh_from_db()
    assert policy.next_review_due == date(2027, 1, 10)
    with time_machine.travel(date(2027, 2, 1), tick=False):
        assert policy.is_review_overdue()
        services.mark_reviewed(actor=otto, policy=policy)
        policy.refresh_from_db()
        assert not policy.is_review_overdue()
    assert (policy.next_review_due, policy.last_reviewed_by) == (date(2028, 2, 1), otto)


def test_acknowledge_only_a_published_version_addressed_to_you(
    officer_olga: User, otto: User, employee_emil: User, it_ivan: User
) -> None:
    policy = draft_policy(officer_olga)
    draft = policy.versions.get()
    with pytest.raises(DomainError, match="only the published version"):
        services.acknowledge(actor=employee_emil, version=draft)
    publish(draft, officer_olga, otto)
    ack = services.acknowledge(actor=employee_emil, version=draft)
    assert ack.user == employee_emil and ack.version == draft
    assert services.acknowledge(actor=employee_emil, version=draft).pk == ack.pk  # once
    with pytest.raises(PermissionDeniedError, match="not addressed to you"):
        services.acknowledge(actor=it_ivan, version=draft)
    policy.audience_people.add(it_ivan)  # chosen by name
    assert services.acknowledge(actor=it_ivan, version=draft).user == it_ivan


def test_auditors_cannot_acknowledge(officer_olga: User, otto: User, auditor_aude: User) -> None:
    policy = published_policy(officer_olga, otto, roles=["Auditor", "Employee"])
    with pytest.raises(PermissionDeniedError):
        services.acknowledge(actor=auditor_aude, version=policy.versions.get())
