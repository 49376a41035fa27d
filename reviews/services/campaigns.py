"""Access review campaigns: start, decide each line, complete with signed evidence, remind, recur.

A reviewer is the campaign's named reviewer, else the system's owner, else whoever started
the campaign; never the person whose access is reviewed (the next candidate takes the line).
Revoking access opens a removal task, closed when the system's next import no longer shows
the account; for Rampart's own access the roles reviewed are removed at once.
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from access.models import Role, User
from access.services import drop_object_perms_beyond_roles, end_sessions_and_tokens
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from core.permissions import require_perm
from core.signing import sign
from governance.models import Asset
from reviews.models import RAMPART, RemovalTask, ReviewCampaign, ReviewItem, SystemAccount, entitlement_key
from reviews.selectors import dormant_condition, leaver_condition, orphan_condition, rampart_dormant

START = "reviews.add_reviewcampaign"
MANAGE = "reviews.change_reviewcampaign"
EVIDENCE_COLUMNS = (
    "campaign",
    "system",
    "account",
    "email",
    "entitlements",
    "reviewer",
    "decision",
    "comment",
    "decided_at",
)


@dataclass(frozen=True)
class CampaignScope:
    name: str
    systems: tuple[Asset, ...]
    include_rampart: bool
    entitlements: tuple[str, ...]
    reviewer: User | None
    due_on: date
    recur_days: int | None = None
    findings: tuple[str, ...] = ()  # only orphan, leaver and/or dormant accounts


def _pick_reviewer(candidates: list[User | None], person_id: int | None) -> User | None:
    for candidate in candidates:
        if candidate is not None and candidate.pk != person_id and candidate.is_active:
            return candidate
    return None


def _system_items(campaign: ReviewCampaign, scope: CampaignScope, starter: User) -> list[ReviewItem]:
    items: list[ReviewItem] = []
    accounts = SystemAccount.objects.filter(is_current=True, asset__in=scope.systems).select_related(
        "asset__owner", "user"
    )
    if scope.entitlements:
        held = Q()
        for name in scope.entitlements:
            held |= Q(entitlement_keys__contains=entitlement_key(name))
        accounts = accounts.filter(held)
    if scope.findings:
        conditions = {"orphan": orphan_condition(), "leaver": leaver_condition(), "dormant": dormant_condition()}
        unknown = set(scope.findings) - set(conditions)
        if unknown:
            raise DomainError(f"Unknown finding: {', '.join(sorted(unknown))}.")
        matched = Q()
        for name in scope.findings:
            matched |= conditions[name]
        accounts = accounts.filter(matched)
    for account in accounts.order_by("asset__name", "account").iterator(chunk_size=2000):
        reviewer = _pick_reviewer([scope.reviewer, account.asset.owner, starter], account.user_id)
        items.append(
            ReviewItem(
                campaign=campaign,
                asset=account.asset,
                account=account,
                system_name=account.asset.name,
                account_name=account.account,
                email=account.email,
                entitlements=account.entitlements,
                person_id=account.user_id,
                reviewer=reviewer,
            )
        )
    return items


def _rampart_items(campaign: ReviewCampaign, scope: CampaignScope, starter: User) -> list[ReviewItem]:
    users = User.objects.filter(is_active=True).prefetch_related("groups").order_by("email")
    if scope.findings:
        users = rampart_dormant() if "dormant" in scope.findings else users.none()
        users = users.prefetch_related("groups").order_by("email")
    if scope.entitlements:
        users = users.filter(groups__name__in=scope.entitlements).distinct()
    items = []
    for user in users:
        roles = sorted(g.name for g in user.groups.all())
        if not roles:
            continue
        reviewer = _pick_reviewer([scope.reviewer, starter], user.pk)
        items.append(
            ReviewItem(
                campaign=campaign,
                system_name=RAMPART,
                account_name=user.email,
                email=user.email,
                entitlements=roles,
                person=user,
                reviewer=reviewer,
            )
        )
    return items


def open_campaign(*, starter: User, scope: CampaignScope) -> ReviewCampaign:
    """Create the campaign and its lines (permission checked by the caller)."""
    if not scope.name.strip():
        raise DomainError("Give the campaign a name.")
    if not scope.systems and not scope.include_rampart:
        raise DomainError("Choose at least one system to review.")
    if scope.due_on < timezone.localdate():
        raise DomainError("The due date is in the past.")
    if scope.recur_days is not None and scope.recur_days < 1:
        raise DomainError("A campaign recurs every 1 day or more.")
    campaign = ReviewCampaign.objects.create(
        name=scope.name.strip()[:200],
        include_rampart=scope.include_rampart,
        entitlements=list(scope.entitlements),
        findings=list(scope.findings),
        reviewer=scope.reviewer,
        due_on=scope.due_on,
        recur_days=scope.recur_days,
        started_by=starter,
    )
    campaign.systems.set(scope.systems)
    items = _system_items(campaign, scope, starter)
    if scope.include_rampart:
        items += _rampart_items(campaign, scope, starter)
    if not items:
        raise DomainError("Nothing to review: the systems chosen have no accounts in this scope.")
    ReviewItem.objects.bulk_create(items, batch_size=2000)
    return campaign


@transaction.atomic
def start_review_campaign(*, actor: User, scope: CampaignScope) -> ReviewCampaign:
    require_perm(actor, START)
    return open_campaign(starter=actor, scope=scope)


def _remove_rampart_access(item: ReviewItem) -> str:
    """Take the reviewed roles away from the Rampart user at once; returns what was done."""
    person = User.objects.select_for_update().get(pk=int(item.person_id or 0))
    roles = [r for r in item.entitlements if r in Role.values]
    groups = list(Group.objects.filter(name__in=roles, user=person))
    if groups:
        person.groups.remove(*groups)
        drop_object_perms_beyond_roles(user=person)
        end_sessions_and_tokens(user=person)
    names = ", ".join(g.name for g in groups) or "nothing left to remove"
    return f"Removed in Rampart at once: {names}."


@transaction.atomic
def decide_review_item(*, actor: User, item: ReviewItem, decision: str, comment: str = "") -> ReviewItem:
    """Certify, revoke or change one line. Only its reviewer decides, and never about their own access."""
    if not actor.is_authenticated or not actor.is_active:
        raise PermissionDeniedError("You must be signed in.")
    item = ReviewItem.objects.select_for_update().select_related("campaign").get(pk=item.pk)
    if item.person_id is not None and item.person_id == actor.pk:
        raise SegregationOfDutiesError("You cannot review your own access.")
    if item.reviewer_id != actor.pk:
        raise PermissionDeniedError("Only the reviewer of this line can decide it.")
    if item.campaign.status != ReviewCampaign.Status.OPEN:
        raise DomainError("This campaign is completed; its decisions are final.")
    if decision not in ReviewItem.DECIDED:
        raise DomainError("Choose certify, revoke or change.")
    comment = comment.strip()
    if decision != ReviewItem.Decision.CERTIFIED and not comment:
        raise DomainError("Say why, in a comment, when you revoke or change access.")
    if item.decision == ReviewItem.Decision.REVOKED and decision != ReviewItem.Decision.REVOKED:
        raise DomainError("This access is already revoked.")
    item.decision, item.comment, item.decided_at = decision, comment[:2000], timezone.now()
    item.save(update_fields=["decision", "comment", "decided_at"])
    if decision == ReviewItem.Decision.REVOKED and not hasattr(item, "removal"):
        task = RemovalTask(item=item, asset=item.asset, account_name=item.account_name)
        if item.asset_id is None and item.person_id is not None:
            task.note = _remove_rampart_access(item)
            task.status, task.closed_at = RemovalTask.Status.DONE, timezone.now()
        task.save()
    return item


def evidence_csv(campaign: ReviewCampaign) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EVIDENCE_COLUMNS)
    items = campaign.items.select_related("reviewer").order_by("system_name", "account_name", "pk")
    for item in items.iterator(chunk_size=2000):
        writer.writerow(
            [
                campaign.name,
                item.system_name,
                item.account_name,
                item.email,
                ";".join(item.entitlements),
                item.reviewer.email if item.reviewer else "",
                item.decision,
                item.comment,
                item.decided_at.isoformat() if item.decided_at else "",
            ]
        )
    return out.getvalue()


@transaction.atomic
def complete_review_campaign(*, actor: User, campaign: ReviewCampaign) -> ReviewCampaign:
    """Close a campaign whose every line is decided; its CSV is signed (Ed25519) as evidence."""
    require_perm(actor, MANAGE)
    campaign = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != ReviewCampaign.Status.OPEN:
        raise DomainError("This campaign is already completed.")
    pending = campaign.items.filter(decision=ReviewItem.Decision.PENDING).count()
    if pending:
        raise DomainError(f"{pending} line{'s are' if pending != 1 else ' is'} still to be decided.")
    text = evidence_csv(campaign)
    signature = sign(text.encode("utf-8"))
    campaign.evidence_csv = text
    campaign.evidence_signature = signature.signature_b64
    campaign.evidence_key_id = signature.key_id
    campaign.status, campaign.completed_at = ReviewCampaign.Status.COMPLETED, timezone.now()
    campaign.save(update_fields=["evidence_csv", "evidence_signature", "evidence_key_id", "status", "completed_at"])
    return campaign


def signature_bytes(campaign: ReviewCampaign) -> bytes:
    return base64.b64decode(campaign.evidence_signature)


# --- Reminders, escalation and recurrence (the scheduled job) ---

REMIND_DAYS_BEFORE = 3


def _mail(subject: str, body: str, to: list[str]) -> None:
    if to:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, sorted(set(to)), fail_silently=True)


def remind_and_escalate(today: date | None = None) -> tuple[int, int]:
    """Remind reviewers with pending lines before the due date; escalate overdue campaigns once."""
    today = today or timezone.localdate()
    reminded = escalated = 0
    for campaign in ReviewCampaign.objects.filter(status=ReviewCampaign.Status.OPEN).select_related("started_by"):
        pending = campaign.items.filter(decision=ReviewItem.Decision.PENDING)
        reviewers = list(pending.exclude(reviewer=None).values_list("reviewer__email", flat=True).distinct())
        if not reviewers:
            continue
        if campaign.due_on < today and campaign.escalated_at is None:
            admins = User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR).values_list(
                "email", flat=True
            )
            _mail(
                f"Overdue access review: {campaign.name}",
                f"The review {campaign.name} was due on {campaign.due_on}; reviewers still to decide: "
                + ", ".join(reviewers),
                [campaign.started_by.email, *admins],
            )
            ReviewCampaign.objects.filter(pk=campaign.pk).update(escalated_at=timezone.now())
            escalated += 1
        elif campaign.due_on - timedelta(days=REMIND_DAYS_BEFORE) <= today and campaign.reminded_at is None:
            _mail(
                f"Access review due {campaign.due_on}: {campaign.name}",
                f"You have lines to decide in the access review {campaign.name}.",
                reviewers,
            )
            ReviewCampaign.objects.filter(pk=campaign.pk).update(reminded_at=timezone.now())
            reminded += 1
    return reminded, escalated


def start_recurring(today: date | None = None) -> int:
    """Start the next round of each recurring campaign whose period has passed."""
    today = today or timezone.localdate()
    started = 0
    due = ReviewCampaign.objects.filter(recur_days__isnull=False, next_started=False).select_related(
        "reviewer", "started_by"
    )
    for campaign in due:
        if timezone.localdate(campaign.started_at) + timedelta(days=campaign.recur_days or 0) > today:
            continue
        period = (campaign.due_on - timezone.localdate(campaign.started_at)).days
        scope = CampaignScope(
            name=campaign.name,
            systems=tuple(campaign.systems.all()),
            include_rampart=campaign.include_rampart,
            entitlements=tuple(campaign.entitlements),
            findings=tuple(campaign.findings),
            reviewer=campaign.reviewer,
            due_on=today + timedelta(days=max(period, 1)),
            recur_days=campaign.recur_days,
        )
        with transaction.atomic():
            try:
                open_campaign(starter=campaign.started_by, scope=scope)
            except DomainError:
                continue
            ReviewCampaign.objects.filter(pk=campaign.pk).update(next_started=True)
        started += 1
    return started


def as_dict(campaign: ReviewCampaign) -> dict[str, Any]:
    return {"id": campaign.pk, "name": campaign.name, "status": campaign.status}
