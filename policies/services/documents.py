"""Every change to policy documents: write, review, approve, publish, retire, review dates, acknowledge.

The workflow of a version: draft -> in review -> approved -> published -> retired (a reviewer may
also send a version in review back to draft). Rules enforced here:

- segregation of duties: whoever wrote a version never approves it (``SegregationOfDutiesError``);
- an approved version never changes (``PolicyVersion.save`` refuses too); a change is a new draft;
- one draft (or version in review) at a time, and one published version: publishing retires the
  previous one;
- a person acknowledges only a published version of a policy addressed to them, once.

Each function takes the acting ``User``, checks the permission first and writes in one
transaction; the audit trail records the rows with that actor (set by the middleware, the API's
token authentication, ``core.actor.acting`` in commands and jobs). Reminders are in
``policies.services.policy_reminders``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.models import User
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from core.permissions import require_perm
from governance.models import Control, Requirement
from policies.documents.dates import add_months
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion
from policies.models.documents import MAX_BODY
from policies.selectors.documents import is_addressed
from policies.services import authorize

ADD = "policies.add_policy"
CHANGE = "policies.change_policy"
WRITE_VERSION = "policies.change_policyversion"
APPROVE = "policies.approve_policyversion"
PUBLISH = "policies.publish_policyversion"
ACKNOWLEDGE = "policies.acknowledge_policy"

Status = PolicyVersion.Status


def _check_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise ValidationError({"body": "Write the policy's text (Markdown)."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"The text is too long: at most {MAX_BODY:,} characters."})
    if "\x00" in body:
        raise ValidationError({"body": "The text contains a NUL character; paste it as plain text."})
    return body


def _locked(version: PolicyVersion) -> PolicyVersion:
    return PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)


def _expect(version: PolicyVersion, *statuses: str) -> None:
    if version.status not in statuses:
        wanted = " or ".join(Status(s).label.lower() for s in statuses)
        raise DomainError(
            f"Version {version.number} is {version.get_status_display().lower()}; this needs a version {wanted}."
        )


def _set_links(
    policy: Policy,
    *,
    audience_roles: Iterable[Group] | None,
    audience_people: Iterable[User] | None,
    controls: Iterable[Control] | None,
    requirements: Iterable[Requirement] | None,
) -> None:
    if audience_roles is not None:
        policy.audience_roles.set(list(audience_roles))
    if audience_people is not None:
        policy.audience_people.set(list(audience_people))
    if controls is not None:
        policy.controls.set(list(controls))
    if requirements is not None:
        policy.requirements.set(list(requirements))


@transaction.atomic
def create_policy(
    *,
    actor: User | None,
    title: str,
    body: str,
    summary: str = "",
    owner: User | None = None,
    review_cycle_months: int = 12,
    audience_roles: Iterable[Group] = (),
    audience_people: Iterable[User] = (),
    controls: Iterable[Control] = (),
    requirements: Iterable[Requirement] = (),
    change_note: str = "",
    library_key: str = "",
) -> Policy:
    """A new policy and its first version, a draft written by ``actor`` (``None``: the system, e.g. the library)."""
    authorize(actor, ADD)
    body = _check_body(body)
    if Policy.objects.filter(title__iexact=(title or "").strip()).exists():
        raise ValidationError({"title": "A policy with this title exists already; choose another title."})
    policy = Policy(
        title=(title or "").strip(),
        summary=(summary or "").strip(),
        owner=owner or actor,
        review_cycle_months=review_cycle_months,
        library_key=library_key,
        created_by=actor,
    )
    policy.full_clean()
    policy.save()
    _set_links(
        policy,
        audience_roles=audience_roles,
        audience_people=audience_people,
        controls=controls,
        requirements=requirements,
    )
    version = PolicyVersion(
        policy=policy, number=1, body=body, author=actor, change_note=(change_note or "First version").strip()
    )
    version.full_clean()
    version.save()
    return policy


@transaction.atomic
def update_policy(
    *,
    actor: User,
    policy: Policy,
    title: str,
    summary: str,
    owner: User | None,
    review_cycle_months: int,
    audience_roles: Iterable[Group],
    audience_people: Iterable[User],
    controls: Iterable[Control],
    requirements: Iterable[Requirement],
) -> Policy:
    """Change what a policy is about (not its text): title, owner, audience, review cycle, links."""
    require_perm(actor, CHANGE, policy)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    title = (title or "").strip()
    if Policy.objects.filter(title__iexact=title).exclude(pk=policy.pk).exists():
        raise ValidationError({"title": "A policy with this title exists already; choose another title."})
    policy.title, policy.summary, policy.owner = title, (summary or "").strip(), owner
    policy.review_cycle_months = review_cycle_months
    policy.updated_at = timezone.now()
    policy.full_clean()
    policy.save()
    _set_links(
        policy,
        audience_roles=audience_roles,
        audience_people=audience_people,
        controls=controls,
        requirements=requirements,
    )
    return policy


@transaction.atomic
def edit_draft(*, actor: User, version: PolicyVersion, body: str, change_note: str = "") -> PolicyVersion:
    """Change the text of a draft. Whoever edits a draft becomes one of its authors: the last one is kept."""
    require_perm(actor, WRITE_VERSION, version.policy)
    version = _locked(version)
    _expect(version, Status.DRAFT)
    version.body = _check_body(body)
    version.change_note = (change_note or "").strip()
    version.author = actor
    version.updated_at = timezone.now()
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def submit_for_review(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    """A draft goes to review: its text is fixed until someone approves it or sends it back."""
    require_perm(actor, WRITE_VERSION, version.policy)
    version = _locked(version)
    _expect(version, Status.DRAFT)
    version.status = Status.IN_REVIEW
    version.submitted_at = version.updated_at = timezone.now()
    version.save(update_fields=["status", "submitted_at", "updated_at"])
    return version


@transaction.atomic
def return_to_draft(*, actor: User, version: PolicyVersion, note: str = "") -> PolicyVersion:
    """A reviewer sends a version in review back to its author as a draft (with why, in the change note)."""
    require_perm(actor, APPROVE, version.policy)
    version = _locked(version)
    _expect(version, Status.IN_REVIEW)
    version.status = Status.DRAFT
    if note.strip():
        version.change_note = f"{version.change_note}\nSent back: {note.strip()}".strip()[:500]
    version.updated_at = timezone.now()
    version.save(update_fields=["status", "change_note", "updated_at"])
    return version


@transaction.atomic
def approve_version(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    """Approve a version in review; the author may never approve their own (segregation of duties)."""
    require_perm(actor, APPROVE, version.policy)
    version = _locked(version)
    if version.author_id is not None and version.author_id == actor.pk:
        raise SegregationOfDutiesError(
            "You wrote this version, so you cannot approve it: another Compliance officer must."
        )
    _expect(version, Status.IN_REVIEW)
    version.status = Status.APPROVED
    version.approver = actor
    version.approved_at = version.updated_at = timezone.now()
    version.save(update_fields=["status", "approver", "approved_at", "updated_at"])
    return version


@transaction.atomic
def publish_version(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    """Publish an approved version; the version published before it is retired. Starts the review clock."""
    require_perm(actor, PUBLISH, version.policy)
    version = _locked(version)
    _expect(version, Status.APPROVED)
    policy = Policy.objects.select_for_update().get(pk=version.policy_id)
    now = timezone.now()
    for previous in PolicyVersion.objects.select_for_update().filter(policy=policy, status=Status.PUBLISHED):
        previous.status, previous.retired_at = Status.RETIRED, now
        previous.save(update_fields=["status", "retired_at"])
    version.status, version.published_at, version.published_by = Status.PUBLISHED, now, actor
    version.save(update_fields=["status", "published_at", "published_by"])
    if policy.next_review_due is None:
        policy.next_review_due = add_months(timezone.localdate(), policy.review_cycle_months)
    policy.updated_at = now
    policy.save(update_fields=["next_review_due", "updated_at"])
    return version


@transaction.atomic
def retire_policy(*, actor: User, policy: Policy) -> Policy:
    """Withdraw a policy: its published version (and any approved one waiting) is retired; nobody must read it."""
    require_perm(actor, PUBLISH, policy)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    live = list(
        PolicyVersion.objects.select_for_update().filter(policy=policy, status__in=[Status.PUBLISHED, Status.APPROVED])
    )
    if not live:
        raise DomainError("This policy has no published or approved version to retire.")
    now = timezone.now()
    for version in live:
        version.status, version.retired_at = Status.RETIRED, now
        version.save(update_fields=["status", "retired_at"])
    policy.next_review_due = None
    policy.updated_at = now
    policy.save(update_fields=["next_review_due", "updated_at"])
    return policy


@transaction.atomic
def start_new_draft(*, actor: User, policy: Policy, change_note: str = "") -> PolicyVersion:
    """A new draft, numbered after the latest version, starting from the published (or latest approved) text."""
    require_perm(actor, WRITE_VERSION, policy)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    versions = PolicyVersion.objects.filter(policy=policy)
    if versions.filter(status__in=PolicyVersion.OPEN).exists():
        raise DomainError("This policy already has a draft or a version in review: finish that one first.")
    base = (
        versions.filter(status=Status.PUBLISHED).first()
        or versions.filter(status__in=PolicyVersion.FROZEN).order_by("-number").first()
    )
    if base is None:
        raise DomainError("This policy has no approved version to start from.")
    latest = versions.order_by("-number").values_list("number", flat=True).first() or 0
    draft = PolicyVersion(
        policy=policy, number=latest + 1, body=base.body, author=actor, change_note=(change_note or "").strip()
    )
    draft.save()
    return draft


@transaction.atomic
def mark_reviewed(*, actor: User, policy: Policy) -> Policy:
    """The owner or an officer reviewed the policy (no change needed): the next review is one cycle from today."""
    require_perm(actor, CHANGE, policy)
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    now = timezone.now()
    policy.last_reviewed_at, policy.last_reviewed_by = now, actor
    policy.next_review_due = add_months(timezone.localdate(), policy.review_cycle_months)
    policy.updated_at = now
    policy.save(update_fields=["last_reviewed_at", "last_reviewed_by", "next_review_due", "updated_at"])
    return policy


@transaction.atomic
def acknowledge(*, actor: User, version: PolicyVersion) -> PolicyAcknowledgement:
    """``actor`` read ``version`` and says so. Only a published version addressed to them; once (repeats return it)."""
    require_perm(actor, ACKNOWLEDGE)
    version = PolicyVersion.objects.select_related("policy").get(pk=version.pk)
    if version.status != Status.PUBLISHED:
        raise DomainError(
            f"Version {version.number} of {version.policy.title} is {version.get_status_display().lower()}; "
            "only the published version can be acknowledged."
        )
    if not is_addressed(actor, version.policy):
        raise PermissionDeniedError("This policy is not addressed to you, so there is nothing to acknowledge.")
    existing = PolicyAcknowledgement.objects.filter(version=version, user=actor).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return PolicyAcknowledgement.objects.create(version=version, user=actor)
    except IntegrityError:  # the same person, twice at once
        return PolicyAcknowledgement.objects.get(version=version, user=actor)


def may(actor: Any, perm: str, policy: Policy | None = None) -> bool:
    """Whether ``actor`` passes ``require_perm`` (for showing buttons)."""
    try:
        require_perm(actor, perm, policy)
    except PermissionDeniedError:
        return False
    return True
