"""Accounts of back-office systems, segregation-of-duties rules, access review campaigns.

A system is a governance ``Asset``. Each import of its accounts is a ``SystemAccountImport``
(a snapshot); the newest one is current and the older ones stay as history. Rampart itself
is a system too, read live from its users and roles (``reviews.selectors.rampart``), so it
has no snapshot here: rows that concern it leave ``asset`` empty.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.models import Asset, ComplianceException

USER = settings.AUTH_USER_MODEL
RAMPART = "Rampart"  # the name under which Rampart's own accounts appear


ENTITLEMENT_SEPARATOR = "\x1f"  # the ASCII unit separator: never part of an imported entitlement


def entitlement_keys(entitlements: list[str]) -> str:
    return (
        ENTITLEMENT_SEPARATOR + ENTITLEMENT_SEPARATOR.join(entitlements) + ENTITLEMENT_SEPARATOR if entitlements else ""
    )


def entitlement_key(name: str) -> str:
    """What ``entitlement_keys__contains`` looks for: one whole entitlement."""
    return f"{ENTITLEMENT_SEPARATOR}{name}{ENTITLEMENT_SEPARATOR}"


class SystemAccountImport(models.Model):
    """One snapshot of a system's accounts; the newest (``is_current``) replaces the ones before."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        API = "api", "API push"
        COMMAND = "command", "Command"

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="account_imports")
    imported_at = models.DateTimeField(default=timezone.now, db_index=True)
    imported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    file_name = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=models.Q(is_current=True), name="one_current_import_per_system"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset} accounts ({self.row_count}) at {self.imported_at:%Y-%m-%d %H:%M}"


class SystemAccount(models.Model):
    """An account of a system in one snapshot, matched to a person by email."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    snapshot = models.ForeignKey(SystemAccountImport, on_delete=models.CASCADE, related_name="accounts")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    is_current = models.BooleanField(default=True, help_text="Part of the system's current snapshot.")
    account = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True, help_text="Lower case.")
    entitlements = models.JSONField(default=list)
    # The entitlements again, each between two separators, so rules and scopes match them in the
    # database on every engine (``entitlement_key``): no row per entitlement to write at import.
    entitlement_keys = models.TextField(blank=True, editable=False)
    last_sign_in = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="system_accounts")

    class Meta:
        ordering = ["asset_id", "account"]
        indexes = [
            models.Index(fields=["is_current", "asset", "account"], name="reviews_acct_current"),
            models.Index(fields=["user", "is_current"], name="reviews_acct_user"),
            models.Index(fields=["is_current", "status", "last_sign_in"], name="reviews_acct_dormant"),
        ]

    def __str__(self) -> str:
        return f"{self.account} on {self.asset_id}"


class SodRule(models.Model):
    """Two entitlements one person must not hold together, in one system or across two.

    A system is named as it appears to people: an asset's name, or ``Rampart`` for Rampart's
    own roles (``Role`` names) and permissions (``app.codename``).
    """

    name = models.CharField(max_length=200, unique=True)
    first_system = models.CharField(max_length=200)
    first_entitlement = models.CharField(max_length=200)
    second_system = models.CharField(max_length=200)
    second_entitlement = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def first(self) -> str:
        return f"{self.first_system}:{self.first_entitlement}"

    @property
    def second(self) -> str:
        return f"{self.second_system}:{self.second_entitlement}"


class SodExemption(models.Model):
    """A violation of a rule by a person, covered by an approved compliance exception until it expires."""

    rule = models.ForeignKey(SodRule, on_delete=models.CASCADE, related_name="exemptions")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    exception = models.ForeignKey(ComplianceException, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "user", "exception"], name="one_exemption_link")]

    def __str__(self) -> str:
        return f"{self.rule} for {self.user_id}"


class ReviewCampaign(models.Model):
    """A review of who holds what on some systems, by their owners or a named reviewer, until a due date."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"

    name = models.CharField(max_length=200)
    systems = models.ManyToManyField(Asset, blank=True, related_name="+")
    include_rampart = models.BooleanField(default=False, help_text="Review Rampart's own users and roles too.")
    entitlements = models.JSONField(
        default=list, blank=True, help_text="Only accounts holding one of these (roles or entitlements); empty: all."
    )
    findings = models.JSONField(
        default=list, blank=True, help_text="Only these findings (orphan, leaver, dormant); empty: every account."
    )
    reviewer = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty: each system owner."
    )
    due_on = models.DateField()
    recur_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Start the same campaign again this many days after it started."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    started_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    evidence_csv = models.TextField(blank=True, editable=False)
    evidence_signature = models.CharField(max_length=200, blank=True, editable=False)
    evidence_key_id = models.CharField(max_length=100, blank=True, editable=False)
    next_started = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.due_on < (today or timezone.localdate())


class ReviewItem(models.Model):
    """One account (or one Rampart user) to certify, revoke or change, by one reviewer."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Pending"
        CERTIFIED = "certified", "Certified"
        REVOKED = "revoked", "Revoked"
        CHANGED = "changed", "Changed"

    DECIDED: ClassVar[tuple[str, ...]] = ("certified", "revoked", "changed")

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(SystemAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    system_name = models.CharField(max_length=200)
    account_name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)
    entitlements = models.JSONField(default=list)
    person = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Who holds the access."
    )
    reviewer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="review_items")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING, db_index=True)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["system_name", "account_name", "pk"]
        indexes = [
            models.Index(fields=["reviewer", "decision"], name="reviews_item_reviewer"),
            models.Index(fields=["campaign", "system_name", "account_name", "id"], name="reviews_item_campaign_order"),
            # Progress by reviewer (and the count of lines) read from the index alone.
            models.Index(fields=["campaign", "reviewer", "decision"], name="reviews_item_progress"),
        ]

    def __str__(self) -> str:
        return f"{self.account_name} on {self.system_name}"


class RemovalTask(models.Model):
    """Access a reviewer revoked: open until the system's next import no longer shows it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    item = models.OneToOneField(ReviewItem, on_delete=models.CASCADE, related_name="removal")
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account_name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return f"Remove {self.account_name}"


class AccessRequest(models.Model):
    """Someone asks for a role or an object permission, for a while; someone else decides.

    Break-glass requests are granted at once and must be reviewed afterwards.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GRANTED = "granted", "Granted"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    requester = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="access_requests")
    role = models.CharField(max_length=50, blank=True)
    permission = models.CharField(max_length=200, blank=True, help_text="app_label.codename, on the object.")
    content_type = models.ForeignKey("contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT)
    object_pk = models.CharField(max_length=40, blank=True)
    reason = models.TextField()
    duration_hours = models.PositiveIntegerField()
    break_glass = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.requester_id} asks for {self.role or self.permission}"

    @property
    def what(self) -> str:
        if self.role:
            return f"role {self.role}"
        return f"{self.permission} on {self.content_type.model if self.content_type else '?'} #{self.object_pk}"


class AccessGrant(models.Model):
    """Access given by a request, until ``expires_at``; ``removed_at`` once it is taken away."""

    request = models.OneToOneField(AccessRequest, on_delete=models.PROTECT, related_name="grant")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="access_grants")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["expires_at"]

    def __str__(self) -> str:
        return f"grant {self.pk} until {self.expires_at:%Y-%m-%d %H:%M}"
