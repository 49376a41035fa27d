"""Read side of the audit trail: who may read it, and its entries filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from auditlog.registry import auditlog
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from audits.models import ChainHead, LogEntry
from audits.scope import active_engagements_of, trail_entries_granted_to
from jobs.models import JobRun

VIEW_AUDIT_TRAIL = "access.view_audit_trail"

ACTION_NAMES: dict[str, int] = {
    "create": LogEntry.Action.CREATE,
    "update": LogEntry.Action.UPDATE,
    "delete": LogEntry.Action.DELETE,
    "access": LogEntry.Action.ACCESS,
}
ACTION_LABELS: dict[int, str] = {code: name for name, code in ACTION_NAMES.items()}


@dataclass(frozen=True)
class TrailFilters:
    """What the reader narrowed the trail to. Dates are local days, both inclusive."""

    actor: str = ""
    content_type_id: int | None = None
    object_id: str = ""
    action: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def is_empty(self) -> bool:
        """True when nothing narrows the trail (the whole chain is listed)."""
        return self == TrailFilters()


def can_view_audit_trail(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(VIEW_AUDIT_TRAIL))


def audited_content_types() -> list[ContentType]:
    """Content types of the models the audit trail records, for the object-type filter.

    Read through Django's content-type cache: no query once this process has read them.
    """
    found = ContentType.objects.get_for_models(*auditlog.get_models(), for_concrete_models=False)
    return sorted(found.values(), key=lambda content_type: (content_type.app_label, content_type.model))


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _actor_filter(value: str) -> Q:
    """The entries of the user with that email (indexed); else those whose actor email contains it.

    A substring match cannot use an index: on 200,000 entries it reads the whole table.
    """
    if "@" in value:
        actor_id = get_user_model().objects.filter(email__iexact=value).values_list("pk", flat=True).first()
        if actor_id is not None:
            return Q(actor_id=actor_id)
    return Q(actor_email__icontains=value)


def may_read_trail(user: Any) -> bool:
    """May ``user`` open the trail at all: all of it, or (an auditor) the entries of an engagement's scope."""
    if can_view_audit_trail(user):
        return True
    return bool(user is not None and user.is_authenticated and user.is_active and active_engagements_of(user).exists())


def entries_visible_to(user: Any, filters: TrailFilters | None = None) -> QuerySet[LogEntry]:
    """Entries ``user`` may read, newest first.

    All of them with ``access.view_audit_trail``; an auditor, while an engagement they audit is
    in progress, the entries of the objects in its scope (and nothing once it has ended).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return LogEntry.objects.none()
    entries = LogEntry.objects.all() if can_view_audit_trail(user) else trail_entries_granted_to(user)
    entries = entries.select_related("actor", "content_type").order_by("-sequence")
    return entries if filters is None else filter_entries(entries, filters)


def filter_entries(entries: QuerySet[LogEntry], filters: TrailFilters) -> QuerySet[LogEntry]:
    """``entries`` narrowed to ``filters``, each condition on an indexed column where one exists."""
    if filters.actor:
        entries = entries.filter(_actor_filter(filters.actor))
    if filters.content_type_id is not None:
        entries = entries.filter(content_type_id=filters.content_type_id)
    if filters.object_id:
        entries = entries.filter(object_pk=filters.object_id)
    if filters.action is not None:
        entries = entries.filter(action=filters.action)
    if filters.date_from is not None:
        entries = entries.filter(timestamp__gte=_start_of_day(filters.date_from))
    if filters.date_to is not None:
        entries = entries.filter(timestamp__lt=_start_of_day(filters.date_to + timedelta(days=1)))
    return entries


# --- Chain status, for the administrator's home page ---

VERIFY_JOB_IDS = ("audits.verify_audit_trail", "audits.verify_audit_trail_full")


@dataclass(frozen=True)
class ChainStatus:
    """How long the trail is and what its latest verification run said (two queries, no hashing)."""

    entries: int
    last_check: JobRun | None  # the latest finished verification run

    @property
    def verified(self) -> bool:
        return self.last_check is not None and self.last_check.status == JobRun.Status.SUCCEEDED


def trail_length() -> int:
    """How many entries the trail holds (the committed head's sequence): it grows with every change to our data."""
    return ChainHead.objects.filter(pk=1).values_list("sequence", flat=True).first() or 0


def chain_status(user: Any) -> ChainStatus | None:
    """The chain's length and its latest verification, for readers of the trail; None for others."""
    if not can_view_audit_trail(user):
        return None
    finished = JobRun.objects.filter(job_id__in=VERIFY_JOB_IDS).exclude(
        status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING]
    )
    return ChainStatus(ChainHead.current().sequence, finished.order_by("-queued_at", "-pk").first())
