"""Evidence, audit engagements, evidence requests and evidence pack builds.

Imported at the end of ``audits.models`` so that ``from audits.models import Evidence``
works like the trail's models.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty

from governance.models import Control, ControlTest, Framework, Requirement

USER = settings.AUTH_USER_MODEL


class _EvidenceStorage(LazyObject):
    """``storages["evidence"]``, looked up on first use and again after ``STORAGES`` changes."""

    def _setup(self) -> None:
        self._wrapped = storages["evidence"]


_evidence_storage = _EvidenceStorage()


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        _evidence_storage._wrapped = empty  # type: ignore[assignment]


def evidence_storage() -> Any:
    return _evidence_storage


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    """A fresh random name per version: a new version never lands on an old one's file."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Evidence(models.Model):
    """One version of a piece of evidence: a stored file, a link or a note.

    Versions of the same evidence share ``series``; a new version is a new row, so nothing
    an auditor saw is ever overwritten. ``is_current`` marks the newest version.
    """

    class Kind(models.TextChoices):
        FILE = "file", "File"
        LINK = "link", "Link"
        NOTE = "note", "Note"

    series = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True, db_index=True)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    description = models.TextField(blank=True)
    file = models.FileField(storage=evidence_storage, upload_to=evidence_upload_to, blank=True, max_length=200)
    filename = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name, for downloads.")
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    note = models.TextField(blank=True)
    collected_on = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True, db_index=True)
    reminded_on = models.DateField(null=True, blank=True, help_text="When the owner was last reminded of expiry.")
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_evidence")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    controls = models.ManyToManyField(Control, blank=True, related_name="evidence")
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="evidence")
    control_tests = models.ManyToManyField(ControlTest, blank=True, related_name="evidence")

    class Meta:
        ordering = ["title", "-version"]
        verbose_name_plural = "evidence"
        constraints = [models.UniqueConstraint(fields=["series", "version"], name="audits_evidence_series_version")]
        # The evidence list: current versions by title (its default order), a page read off the index.
        # Expired current evidence (dashboard and home counts, the controls it flags): a range of
        # the second index, not a visit of every row past its date to ask whether it is current.
        indexes = [
            models.Index(
                fields=["title", "id"], condition=models.Q(is_current=True), name="audits_evidence_current_title"
            ),
            models.Index(
                fields=["valid_until", "id"], condition=models.Q(is_current=True), name="audits_evidence_current_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def is_expired(self, today: date | None = None) -> bool:
        return self.valid_until is not None and self.valid_until < (today or timezone.localdate())


class Engagement(models.Model):
    """An audit: what is in scope, for which period, and who audits it.

    Auditors see the scope read-only from ``start`` to ``end`` inclusive, while the
    engagement is not closed; closing it freezes ``snapshot`` (what was in scope).
    """

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    frameworks = models.ManyToManyField(Framework, blank=True, related_name="engagements")
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="engagements")
    controls = models.ManyToManyField(Control, blank=True, related_name="engagements")
    start = models.DateField()
    end = models.DateField()
    auditors: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="audit_engagements"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-start", "name"]
        permissions = [("build_pack", "Can build and download evidence packs")]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="audits_engagement_period")]

    def __str__(self) -> str:
        return self.name

    def is_active(self, today: date | None = None) -> bool:
        day = today or timezone.localdate()
        return self.closed_at is None and self.start <= day <= self.end


def active_engagements(today: date | None = None) -> Q:
    """Engagements that grant access today (a filter on ``Engagement``)."""
    day = today or timezone.localdate()
    return Q(closed_at__isnull=True, start__lte=day, end__gte=day)


class EvidenceRequest(models.Model):
    """An auditor's request for evidence against a requirement or a control."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="requests")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    requirement = models.ForeignKey(Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    control = models.ForeignKey(Control, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_requests")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    evidence = models.ManyToManyField(Evidence, blank=True, related_name="requests")
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_date", "pk"]
        permissions = [("review_evidencerequest", "Can accept or reject submitted evidence")]

    def __str__(self) -> str:
        return self.title

    @property
    def outstanding(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.REJECTED)


class EvidenceRequestComment(models.Model):
    request = models.ForeignKey(EvidenceRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    status = models.CharField(max_length=10, blank=True, help_text="The status this comment moved the request to.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment on {self.request}"


class PackBuild(models.Model):
    """One evidence pack of an engagement, built by a queued task (``run``)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="packs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    run = models.ForeignKey("workbench.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    path = models.CharField(max_length=500, blank=True, help_text="The finished pack, relative to the packs folder.")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"pack #{self.pk} of {self.engagement}"
