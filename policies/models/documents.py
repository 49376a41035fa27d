"""Policy documents: the policy, its versions (Markdown, a workflow) and who acknowledged them.

- ``Policy``: what stays the same from one version to the next: the title, the owner, who must
  read it (roles and/or chosen people), how often it is reviewed and when the next review is due,
  and the controls and requirements it supports.
- ``PolicyVersion``: one numbered text. Draft -> in review -> approved -> published -> retired.
  Once approved, its text and who wrote and approved it never change (``save`` refuses): only its
  status moves on (published, then retired) with the time it did.
- ``PolicyAcknowledgement``: a person read a published version and said so; once per version.

Every change goes through ``policies.services.documents``, which checks the permission, the
workflow and segregation of duties (an author never approves their own version).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError
from governance.models import Control, Requirement

USER = settings.AUTH_USER_MODEL
MAX_BODY = 200_000
MAX_REVIEW_MONTHS = 60


class ImmutableVersionError(DomainError):
    """An approved version's text, author or approval cannot change."""


class Policy(models.Model):
    """A policy document: owner, audience, review cycle and links; its text lives in its versions."""

    title = models.CharField(max_length=200, unique=True)
    summary = models.CharField(max_length=500, blank=True, help_text="One or two sentences: what it is for.")
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_policies")
    audience_roles = models.ManyToManyField(
        Group, blank=True, related_name="audience_of_policies", help_text="Everyone holding one of these roles."
    )
    audience_people: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        USER, blank=True, related_name="policies_addressed", help_text="Chosen people, besides the roles."
    )
    review_cycle_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_MONTHS)]
    )
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    controls = models.ManyToManyField(Control, blank=True, related_name="policies")
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="policies")
    last_reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When reminders to acknowledge its published version were last sent."
    )
    library_key = models.CharField(
        max_length=60, blank=True, help_text="Set for policies loaded from the shipped library (its file's key)."
    )
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"
        permissions = [("acknowledge_policy", "Can acknowledge the published policies addressed to them")]
        constraints = [
            models.UniqueConstraint(fields=["library_key"], condition=~Q(library_key=""), name="policy_library_key")
        ]

    def __str__(self) -> str:
        return self.title

    def is_review_overdue(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return self.next_review_due is not None and self.next_review_due < today


class PolicyVersion(models.Model):
    """One numbered text of a policy, and where it stands in the workflow."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    OPEN = (Status.DRAFT, Status.IN_REVIEW)
    FROZEN = (Status.APPROVED, Status.PUBLISHED, Status.RETIRED)
    # What may still change on a frozen version: its status moving on, and when it did.
    MOVABLE_FIELDS = frozenset({"status", "published_at", "published_by_id", "retired_at"})
    # Where a frozen version's status may go: only forward.
    FORWARD = {"approved": {"approved", "published", "retired"}, "published": {"published", "retired"}}

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    change_note = models.CharField(max_length=500, blank=True, help_text="What changed and why.")
    # Empty only for text that came from the shipped library through the command line (the system).
    author = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="authored_policy_versions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approver = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        permissions = [
            ("approve_policyversion", "Can approve a policy version someone else wrote"),
            ("publish_policyversion", "Can publish and retire approved policy versions"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number"),
            models.UniqueConstraint(
                fields=["policy"], condition=Q(status="published"), name="policy_one_published_version"
            ),
            models.UniqueConstraint(
                fields=["policy"], condition=Q(status__in=["draft", "in_review"]), name="policy_one_open_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.title} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse any change to an approved (published, retired) version but its status moving on."""
        if self.pk is not None:
            stored = PolicyVersion.objects.filter(pk=self.pk).first()
            if stored is not None and stored.status in self.FROZEN:
                changed = [
                    f.attname
                    for f in self._meta.concrete_fields
                    if f.attname not in self.MOVABLE_FIELDS and getattr(stored, f.attname) != getattr(self, f.attname)
                ]
                if changed or self.status not in self.FORWARD.get(stored.status, {stored.status}):
                    raise ImmutableVersionError(
                        f"Version {stored.number} of this policy is {stored.get_status_display().lower()}: "
                        "its text cannot change. Start a new draft instead."
                    )
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_frozen:
            raise ImmutableVersionError("An approved policy version is kept for good; retire it instead.")
        return super().delete(*args, **kwargs)


class PolicyAcknowledgement(models.Model):
    """``user`` read published ``version`` and said so, at ``acknowledged_at``."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="policy_acknowledgements")
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="policy_ack_once_per_version")]

    def __str__(self) -> str:
        return f"{self.user} acknowledged {self.version}"
