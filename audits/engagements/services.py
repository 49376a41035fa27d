"""Write side of evidence, engagements and evidence requests.

Every function takes the acting user, checks what they may do first, and writes in one
transaction; the audit trail records the rows with the actor (django-auditlog).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format

from audits.engagement_models import evidence_storage, evidence_upload_to
from audits.engagements.selectors import engagements_visible_to, evidence_visible_to, requests_visible_to
from audits.engagements.storage import EvidenceFileError, HashingFile, check_upload
from audits.models import Engagement, Evidence, EvidenceRequest, EvidenceRequestComment
from audits.scope import in_scope
from core.errors import DomainError, NotFoundError, PermissionDeniedError
from core.permissions import require_perm
from governance.models import Control, ControlTest, Requirement
from governance.scoping import scoped

logger = logging.getLogger(__name__)


# --- Evidence ---------------------------------------------------------------------


def _check_links(actor: Any, controls: Sequence[Control], requirements: Sequence[Requirement]) -> None:
    """One may link evidence only to controls one may change (an owner: their own) and requirements one sees."""
    allowed_controls = scoped(actor, Control.objects.filter(pk__in=[c.pk for c in controls]), "change")
    if allowed_controls.count() != len({c.pk for c in controls}):
        raise PermissionDeniedError("You may link evidence only to controls you may change.")
    visible = scoped(actor, Requirement.objects.filter(pk__in=[r.pk for r in requirements]), "view")
    if visible.count() != len({r.pk for r in requirements}):
        raise PermissionDeniedError("You may link evidence only to requirements you can see.")


def _store(evidence: Evidence, upload: Any, name: str) -> None:
    """Write ``upload`` to the evidence storage, hashing it on the way; a refused file leaves nothing."""
    check_upload(name, getattr(upload, "size", None))
    storage = evidence_storage()
    target = evidence_upload_to(evidence, name)
    hashing = HashingFile(upload, name)
    try:
        stored = storage.save(target, hashing)
    except EvidenceFileError:
        storage.delete(target)
        raise
    evidence.file.name = stored
    evidence.filename = name[:255]
    evidence.size = hashing.written
    evidence.sha256 = hashing.sha256
    evidence.content_type = (getattr(upload, "content_type", "") or "application/octet-stream")[:100]


@transaction.atomic
def add_evidence(
    *,
    actor: Any,
    title: str,
    kind: str,
    upload: Any = None,
    filename: str = "",
    url: str = "",
    note: str = "",
    description: str = "",
    collected_on: date | None = None,
    valid_until: date | None = None,
    controls: Sequence[Control] = (),
    requirements: Sequence[Requirement] = (),
    control_tests: Sequence[ControlTest] = (),
    previous: Evidence | None = None,
) -> Evidence:
    """A new piece of evidence, or (``previous``) a new version of one; old versions stay as they are."""
    require_perm(actor, "audits.add_evidence")
    if previous is not None:
        if not evidence_visible_to(actor).filter(pk=previous.pk).exists():
            raise NotFoundError("That evidence does not exist or you cannot see it.")
        if not (actor.has_perm("audits.change_evidence") or actor.pk in (previous.owner_id, previous.created_by_id)):
            raise PermissionDeniedError("Only the evidence's owner or a compliance officer may add a version.")
        controls = controls or list(previous.controls.all())
        requirements = requirements or list(previous.requirements.all())
        control_tests = control_tests or list(previous.control_tests.all())
    tests_controls = list(Control.objects.filter(tests__in=[t.pk for t in control_tests]).distinct())
    _check_links(actor, [*controls, *tests_controls], requirements)
    evidence = Evidence(
        title=title,
        kind=kind,
        description=description,
        url=url if kind == Evidence.Kind.LINK else "",
        note=note if kind == Evidence.Kind.NOTE else "",
        collected_on=collected_on or timezone.localdate(),
        valid_until=valid_until,
        owner=previous.owner if previous is not None and previous.owner else actor,
        created_by=actor,
    )
    if previous is not None:
        latest = Evidence.objects.select_for_update().filter(series=previous.series).aggregate(v=Max("version"))["v"]
        evidence.series = previous.series
        evidence.version = (latest or 0) + 1
        Evidence.objects.filter(series=previous.series, is_current=True).update(is_current=False)
    if kind == Evidence.Kind.FILE:
        if upload is None:
            raise DomainError("Choose the file to upload.")
        _store(evidence, upload, filename or getattr(upload, "name", "") or "evidence")
    elif kind == Evidence.Kind.LINK and not url:
        raise DomainError("Give the link's address.")
    elif kind == Evidence.Kind.NOTE and not note:
        raise DomainError("Write the note.")
    try:
        evidence.full_clean(exclude=["file", "series"])
        evidence.save()
    except BaseException:
        if evidence.file.name:
            evidence_storage().delete(evidence.file.name)
        raise
    evidence.controls.set(controls)
    evidence.requirements.set(requirements)
    evidence.control_tests.set(control_tests)
    return evidence


# --- Engagements ------------------------------------------------------------------


@transaction.atomic
def create_engagement(
    *,
    actor: Any,
    name: str,
    start: date,
    end: date,
    description: str = "",
    frameworks: Iterable[Any] = (),
    requirements: Iterable[Requirement] = (),
    controls: Iterable[Control] = (),
    auditors: Iterable[Any] = (),
) -> Engagement:
    require_perm(actor, "audits.add_engagement")
    auditors = list(auditors)
    for person in auditors:
        if not person.has_role("Auditor"):
            raise DomainError(f"{person} is not an Auditor; only people with the Auditor role may audit.")
    engagement = Engagement(name=name, description=description, start=start, end=end, created_by=actor)
    engagement.full_clean()
    engagement.save()
    engagement.frameworks.set(list(frameworks))
    engagement.requirements.set(list(requirements))
    engagement.controls.set(list(controls))
    engagement.auditors.set(auditors)
    return engagement


def scope_snapshot(engagement: Engagement) -> dict[str, Any]:
    """What is in scope now, by stable references, as closing freezes it."""
    return {
        "requirements": sorted(
            f"{framework}:{ref}"
            for framework, ref in in_scope(Requirement, engagement).values_list("framework__key", "ref_id")
        ),
        "controls": sorted(in_scope(Control, engagement).values_list("ref", flat=True)),
        "control_tests": sorted(in_scope(ControlTest, engagement).values_list("pk", flat=True)),
        "evidence": sorted(
            {
                f"{series}:v{version}"
                for series, version in in_scope(Evidence, engagement).values_list("series", "version")
            }
        ),
        "requests": sorted(engagement.requests.values_list("pk", flat=True)),
        "auditors": sorted(engagement.auditors.values_list("email", flat=True)),
        "closed_at": timezone.now().isoformat(timespec="seconds"),
    }


@transaction.atomic
def close_engagement(*, actor: Any, engagement: Engagement) -> Engagement:
    """Close: auditors lose access at once, and what was in scope is frozen in ``snapshot``."""
    require_perm(actor, "audits.change_engagement")
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if engagement.closed_at is not None:
        raise DomainError("This engagement is already closed.")
    engagement.snapshot = scope_snapshot(engagement)
    engagement.closed_at = timezone.now()
    engagement.save(update_fields=["snapshot", "closed_at"])
    return engagement


def remove_ended_auditors(today: date | None = None) -> int:
    """The daily job's work: auditors leave engagements that ended or were closed (access ended already)."""
    day = today or timezone.localdate()
    removed = 0
    for engagement in Engagement.objects.filter(end__lt=day) | Engagement.objects.filter(closed_at__isnull=False):
        with transaction.atomic():
            count = engagement.auditors.count()
            if count:
                engagement.auditors.clear()
                removed += count
    return removed


# --- Evidence requests --------------------------------------------------------------


def _auditing(actor: Any, engagement: Engagement) -> bool:
    return actor.has_perm("audits.change_engagement") or (
        engagements_visible_to(actor).filter(pk=engagement.pk, auditors=actor).exists()
    )


def _notify(person: Any, subject: str, body: str) -> None:
    if person is None or not person.email:
        return
    transaction.on_commit(lambda: send_mail(subject, body, None, [person.email], fail_silently=True))


@transaction.atomic
def create_request(
    *,
    actor: Any,
    engagement: Engagement,
    title: str,
    description: str = "",
    requirement: Requirement | None = None,
    control: Control | None = None,
    owner: Any = None,
    due_date: date | None = None,
) -> EvidenceRequest:
    """An auditor (of this active engagement) or an officer asks for evidence on something in scope."""
    require_perm(actor, "audits.add_evidencerequest")
    if not _auditing(actor, engagement):
        raise PermissionDeniedError("You may ask for evidence only in engagements you audit while they run.")
    if requirement is None and control is None:
        raise DomainError("Name the requirement or the control the evidence is for.")
    if requirement is not None and not in_scope(Requirement, engagement).filter(pk=requirement.pk).exists():
        raise DomainError(f"Requirement {requirement.ref_id} is not in the scope of {engagement}.")
    if control is not None and not in_scope(Control, engagement).filter(pk=control.pk).exists():
        raise DomainError(f"Control {control.ref} is not in the scope of {engagement}.")
    if owner is None and control is not None:
        owner = control.owner
    request = EvidenceRequest(
        engagement=engagement,
        title=title,
        description=description,
        requirement=requirement,
        control=control,
        owner=owner,
        due_date=due_date,
        requested_by=actor,
    )
    request.full_clean()
    request.save()
    _notify(
        owner,
        f"Evidence requested: {title}",
        f"{actor} asks for evidence for the audit {engagement}: {title}\n\n{description}\n\n"
        f"Due: {due_date or 'no date'}",
    )
    return request


@transaction.atomic
def submit_request(
    *, actor: Any, request: EvidenceRequest, evidence: Sequence[Evidence], comment: str = ""
) -> EvidenceRequest:
    """The owner (or an officer) hands in evidence; the request waits for the auditor."""
    request = EvidenceRequest.objects.select_for_update().get(pk=request.pk)
    if not (actor.pk == request.owner_id or actor.has_perm("audits.change_evidencerequest")):
        raise PermissionDeniedError("Only the request's owner may submit evidence for it.")
    if request.status not in (EvidenceRequest.Status.OPEN, EvidenceRequest.Status.REJECTED):
        raise DomainError(f"This request is {request.get_status_display().lower()}; it cannot be submitted again.")
    if not evidence:
        raise DomainError("Attach at least one piece of evidence.")
    visible = evidence_visible_to(actor).filter(pk__in=[e.pk for e in evidence])
    if visible.count() != len({e.pk for e in evidence}):
        raise PermissionDeniedError("You may attach only evidence you can see.")
    request.evidence.add(*evidence)
    request.status = EvidenceRequest.Status.SUBMITTED
    request.save(update_fields=["status"])
    EvidenceRequestComment.objects.create(request=request, author=actor, text=comment, status=request.status)
    _notify(request.requested_by, f"Evidence submitted: {request.title}", f"{actor} submitted evidence.\n\n{comment}")
    return request


@transaction.atomic
def review_request(*, actor: Any, request: EvidenceRequest, accept: bool, comment: str = "") -> EvidenceRequest:
    """The auditor accepts the submitted evidence, or rejects it with a reason (the owner submits again)."""
    require_perm(actor, "audits.review_evidencerequest")
    request = EvidenceRequest.objects.select_for_update().select_related("engagement").get(pk=request.pk)
    if not _auditing(actor, request.engagement):
        raise PermissionDeniedError("You may review requests only in engagements you audit while they run.")
    if request.status != EvidenceRequest.Status.SUBMITTED:
        raise DomainError("Only submitted evidence can be accepted or rejected.")
    if not accept and not comment.strip():
        raise DomainError("Say why the evidence is rejected, so that its owner can fix it.")
    request.status = EvidenceRequest.Status.ACCEPTED if accept else EvidenceRequest.Status.REJECTED
    request.save(update_fields=["status"])
    EvidenceRequestComment.objects.create(request=request, author=actor, text=comment, status=request.status)
    verdict = "accepted" if accept else "rejected"
    _notify(request.owner, f"Evidence {verdict}: {request.title}", f"{actor} {verdict} the evidence.\n\n{comment}")
    return request


def request_for(actor: Any, pk: int) -> EvidenceRequest:
    found = requests_visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise NotFoundError("That evidence request does not exist or you cannot see it.")
    return found


REMIND_DAYS = 14  # default; ``settings.RAMPART_EVIDENCE_REMIND_DAYS`` overrides it


def remind_days() -> int:
    return int(getattr(settings, "RAMPART_EVIDENCE_REMIND_DAYS", REMIND_DAYS))


def remind_expiring(today: date | None = None) -> int:
    """Mail each owner once about each piece of current evidence expiring within ``remind_days()`` days.

    Run daily by the scheduler (``audits.remind_expiring_evidence``, whose run is the actor of
    the trail entries). A reminder is recorded (``reminded_on``, saved through the model so the
    trail has it) only once its mail went out; a mail that fails is tried again the next day.
    A new version starts unreminded. Returns the number of reminders sent.
    """
    day = today or timezone.localdate()
    due = Evidence.objects.filter(
        is_current=True,
        valid_until__isnull=False,
        valid_until__lte=day + timedelta(days=remind_days()),
        valid_until__gte=day,
        reminded_on__isnull=True,
        owner__isnull=False,
        owner__is_active=True,
    ).select_related("owner")
    sent = 0
    for evidence in due.order_by("valid_until", "pk"):
        owner = evidence.owner
        if owner is None or not owner.email or evidence.valid_until is None:
            continue
        until = date_format(evidence.valid_until, "DATE_FORMAT")
        days = (evidence.valid_until - day).days
        try:
            send_mail(
                f"Evidence expires on {until}: {evidence.title}",
                f"The evidence '{evidence.title}' is valid until {until} ({days} days from today). "
                "Upload a new version before then, so that the controls it supports are not flagged "
                "for expired evidence.",
                None,
                [owner.email],
                fail_silently=False,
            )
        except (OSError, SMTPException) as exc:
            logger.warning("Evidence reminder to %s failed: %s", owner.email, exc)
            continue
        evidence.reminded_on = day
        evidence.save(update_fields=["reminded_on"])
        sent += 1
    return sent


class ImportErrors(DomainError):
    """Lines of an imported request list that cannot be used; nothing was created."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} problems in the file")
        self.errors = errors


@transaction.atomic
def import_requests(*, actor: Any, engagement: Engagement, rows: Sequence[dict[str, str]]) -> int:
    """Create a request per line (title, description, requirement, control, owner, due_date): all or none."""
    from access.models import User

    require_perm(actor, "audits.add_evidencerequest")
    if not _auditing(actor, engagement):
        raise PermissionDeniedError("You may ask for evidence only in engagements you audit while they run.")
    errors: list[str] = []
    planned: list[dict[str, Any]] = []
    requirements = in_scope(Requirement, engagement)
    controls = in_scope(Control, engagement)
    for line, row in enumerate(rows, start=2):
        item: dict[str, Any] = {"title": row.get("title", ""), "description": row.get("description", "")}
        if not item["title"]:
            errors.append(f"line {line}, title: a title is needed")
        if row.get("requirement"):
            item["requirement"] = requirements.filter(ref_id=row["requirement"]).first()
            if item["requirement"] is None:
                errors.append(f"line {line}, requirement: {row['requirement']!r} is not in scope")
        if row.get("control"):
            item["control"] = controls.filter(ref=row["control"]).first()
            if item["control"] is None:
                errors.append(f"line {line}, control: {row['control']!r} is not in scope")
        if not row.get("requirement") and not row.get("control"):
            errors.append(f"line {line}: name a requirement or a control")
        if row.get("owner"):
            item["owner"] = User.objects.filter(email__iexact=row["owner"], is_active=True).first()
            if item["owner"] is None:
                errors.append(f"line {line}, owner: nobody has the email {row['owner']!r}")
        if row.get("due_date"):
            try:
                item["due_date"] = date.fromisoformat(row["due_date"])
            except ValueError:
                errors.append(f"line {line}, due_date: {row['due_date']!r} is not a date (YYYY-MM-DD)")
        planned.append(item)
    if not planned:
        errors.append("The file has no lines after its header.")
    if errors:
        raise ImportErrors(errors)
    for item in planned:
        create_request(actor=actor, engagement=engagement, **item)
    return len(planned)
