"""Frameworks and requirements, controls and their tests, risks, assets, exceptions, findings.

Object-scoped models (controls, risks, frameworks) have direct foreign-key
object-permission tables for django-guardian, so "which controls may Omar see"
is one indexed join, not a generic-key scan.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

USER = settings.AUTH_USER_MODEL


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --- Frameworks and requirements ---


class Framework(TimeStamped):
    """A regulation, standard or internal baseline, identified by a stable key."""

    class Source(models.TextChoices):
        YAML = "yaml", "Rampart YAML"
        CSV = "csv", "Rampart CSV"
        OSCAL = "oscal", "OSCAL catalog"
        MANUAL = "manual", "Entered by hand"

    key = models.SlugField(max_length=120, unique=True, help_text="Stable identifier, e.g. 'iso27001-2022'.")
    name = models.CharField(max_length=200)
    version = models.CharField(max_length=50, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_frameworks",
        help_text="Accountable for meeting this framework.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()


# How the importers open the guidance of a requirement its publisher withdrew (see ``withdrawn_note``).
WITHDRAWN_MARK = "Withdrawn:"


def withdrawn_note(noun: str) -> str:
    """The first guidance line of a withdrawn requirement (``noun``: what the format calls it)."""
    return f"{WITHDRAWN_MARK} the publisher withdrew this {noun}; it is kept for history and not assessed."


class Requirement(TimeStamped):
    """One requirement (or a grouping section) of a framework, in a tree."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="requirements")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    ref_id = models.CharField(max_length=100, help_text="Stable identifier within the framework, e.g. 'A.8.13'.")
    reference = models.CharField(max_length=200, blank=True, help_text="Citation as the source writes it.")
    title = models.CharField(max_length=500)
    text = models.TextField(blank=True)
    guidance = models.TextField(blank=True, help_text="Parameters, parts and guidance kept as text.")
    is_section = models.BooleanField(default=False, help_text="A grouping heading, not assessed itself.")
    order = models.PositiveIntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    applicable = models.BooleanField(default=True)
    justification = models.TextField(blank=True, help_text="Why it does not apply (required when not applicable).")
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Set when a re-import no longer has it.")
    owner = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_requirements",
        help_text="Responsible for meeting this requirement.",
    )

    class Meta:
        ordering = ["framework", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "ref_id"], name="requirement_unique_ref_per_framework")
        ]
        # Every count of a framework's requirements filters on these (current, not a section, applicable):
        # with all four in the index, PostgreSQL counts from the index alone.
        indexes = [models.Index(fields=["framework", "is_section", "applicable", "removed_at"])]

    def __str__(self) -> str:
        return f"{self.ref_id} {self.title}"

    @property
    def is_withdrawn(self) -> bool:
        """Removed because its publisher withdrew it (the importers open its guidance with ``WITHDRAWN_MARK``)."""
        return self.removed_at is not None and self.guidance.startswith(WITHDRAWN_MARK)

    def clean(self) -> None:
        if not self.applicable and not self.justification.strip():
            raise ValidationError({"justification": "Say why this requirement does not apply."})


class FrameworkUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Framework, on_delete=models.CASCADE)


class FrameworkGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Framework, on_delete=models.CASCADE)


# --- Controls and their tests ---


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUAL = "semiannual", "Every six months"
    ANNUAL = "annual", "Yearly"
    NONE = "none", "Not tested"


FREQUENCY_DAYS = {
    Frequency.MONTHLY: 30,
    Frequency.QUARTERLY: 91,
    Frequency.SEMIANNUAL: 182,
    Frequency.ANNUAL: 365,
}


class Outcome(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    PARTIAL = "partial", "Partial"


class Control(TimeStamped):
    """A safeguard the organisation runs; maps to requirements across frameworks."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        IMPLEMENTED = "implemented", "Implemented"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    ref = models.CharField(max_length=50, unique=True, help_text="Short code, e.g. 'CTL-012'.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_controls")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    implementation_notes = models.TextField(blank=True)
    test_frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.ANNUAL)
    expected_evidence = models.TextField(blank=True)
    requirements = models.ManyToManyField(Requirement, blank=True, related_name="controls")
    # Kept up to date by the services that record tests, so lists filter in the database.
    latest_test_result = models.CharField(max_length=10, choices=Outcome.choices, blank=True, db_index=True)
    latest_test_on = models.DateField(null=True, blank=True)
    next_test_due = models.DateField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["ref"]
        indexes = [models.Index(fields=["owner", "status"])]
        # A role with this may own controls: object permissions on controls count only with it.
        permissions = [("own_control", "Can own controls (hold object permissions on them)")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def compute_next_due(self, last: date | None) -> date | None:
        days = FREQUENCY_DAYS.get(Frequency(self.test_frequency))
        if days is None:
            return None
        start = last or timezone.localdate()
        return start + timedelta(days=days)


class ControlUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Control, on_delete=models.CASCADE)


class ControlGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Control, on_delete=models.CASCADE)


class ControlTest(TimeStamped):
    """One test of a control: planned with a due date, then performed with a result."""

    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="tests")
    due_date = models.DateField(db_index=True)
    performed_on = models.DateField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Outcome.choices, blank=True, db_index=True)
    tester = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_control_tests",
        help_text="Who is to perform this test (the control's owner when nobody is assigned).",
    )
    notes = models.TextField(blank=True)
    # Evidence until the audits app provides evidence records (which will point here by FK).
    evidence_reference = models.CharField(max_length=500, blank=True, help_text="Link or location of the evidence.")
    evidence_file = models.FileField(upload_to="control-tests/%Y/%m/", blank=True)

    class Meta:
        ordering = ["-due_date", "-pk"]
        indexes = [models.Index(fields=["control", "-performed_on"])]

    def __str__(self) -> str:
        return f"Test of {self.control.ref} due {self.due_date}"

    @property
    def is_overdue(self) -> bool:
        return not self.result and self.due_date < timezone.localdate()


# --- Assets ---


class Asset(TimeStamped):
    """A back-office system or store of data: accounting, HR, CRM, ERP, file server, SaaS."""

    class Kind(models.TextChoices):
        ACCOUNTING = "accounting", "Accounting"
        HR = "hr", "HR / payroll"
        CRM = "crm", "CRM"
        ERP = "erp", "ERP"
        FILE_SERVER = "file_server", "File server"
        SAAS = "saas", "SaaS application"
        EMAIL = "email", "Email and collaboration"
        NETWORK = "network", "Network / infrastructure"
        ENDPOINT = "endpoint", "Workstations and laptops"
        OTHER = "other", "Other"

    class Classification(models.TextChoices):
        PUBLIC = "public", "Public"
        INTERNAL = "internal", "Internal"
        CONFIDENTIAL = "confidential", "Confidential"
        RESTRICTED = "restricted", "Restricted"

    class Criticality(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_assets")
    data_classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.INTERNAL
    )
    criticality = models.CharField(max_length=10, choices=Criticality.choices, default=Criticality.MEDIUM)
    description = models.TextField(blank=True)
    vendor = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Risks ---


class RiskMatrix(models.Model):
    """The likelihood x impact matrix (3x3 up to 5x5) with labels and colour bands. One row."""

    size = models.PositiveSmallIntegerField(default=5)
    likelihood_labels = models.JSONField(default=list, help_text="One label per level, lowest first.")
    impact_labels = models.JSONField(default=list, help_text="One label per level, lowest first.")
    # [{"max_score": 4, "label": "Low", "colour": "#2e7d32"}, ...] ascending by max_score.
    bands = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.size}x{self.size} risk matrix"

    def clean(self) -> None:
        if not 3 <= self.size <= 5:
            raise ValidationError({"size": "The matrix is 3x3 up to 5x5."})
        for field in ("likelihood_labels", "impact_labels"):
            labels = getattr(self, field)
            well_formed = isinstance(labels, list) and all(isinstance(x, str) and x for x in labels)
            if not well_formed or len(labels) != self.size:
                raise ValidationError({field: f"Give exactly {self.size} non-empty labels, lowest first."})
        if not isinstance(self.bands, list) or not self.bands:
            raise ValidationError({"bands": "Give at least one colour band."})
        last = 0
        for band in self.bands:
            if not isinstance(band, dict) or not {"max_score", "label", "colour"} <= set(band):
                raise ValidationError({"bands": "Each band needs max_score, label and colour."})
            if not isinstance(band["max_score"], int) or band["max_score"] <= last:
                raise ValidationError({"bands": "Band max_score values must be whole numbers, ascending."})
            last = band["max_score"]
        if last < self.size * self.size:
            raise ValidationError({"bands": f"The last band must reach the top score {self.size * self.size}."})

    def band_for(self, score: int) -> dict:
        for band in self.bands:
            if score <= band["max_score"]:
                return dict(band)
        return dict(self.bands[-1])


class Risk(TimeStamped):
    """A risk to the business: scored before (inherent) and after (residual) treatment."""

    class Treatment(models.TextChoices):
        MITIGATE = "mitigate", "Mitigate"
        ACCEPT = "accept", "Accept"
        TRANSFER = "transfer", "Transfer"
        AVOID = "avoid", "Avoid"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    ref = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    threat = models.TextField(blank=True)
    vulnerability = models.TextField(blank=True)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_risks")
    assets = models.ManyToManyField(Asset, blank=True, related_name="risks")
    inherent_likelihood = models.PositiveSmallIntegerField(default=1)
    inherent_impact = models.PositiveSmallIntegerField(default=1)
    inherent_score = models.PositiveSmallIntegerField(default=1, db_index=True)
    residual_likelihood = models.PositiveSmallIntegerField(default=1)
    residual_impact = models.PositiveSmallIntegerField(default=1)
    residual_score = models.PositiveSmallIntegerField(default=1, db_index=True)
    treatment = models.CharField(max_length=10, choices=Treatment.choices, default=Treatment.MITIGATE)
    treatment_plan = models.TextField(blank=True)
    controls = models.ManyToManyField(Control, blank=True, related_name="risks")
    accepted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acceptance_expires_on = models.DateField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)

    class Meta:
        ordering = ["-residual_score", "ref"]
        indexes = [
            models.Index(fields=["inherent_likelihood", "inherent_impact"]),
            models.Index(fields=["residual_likelihood", "residual_impact"]),
        ]
        # A role with this may own risks: object permissions on risks count only with it.
        permissions = [("own_risk", "Can own risks (hold object permissions on them)")]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.inherent_score = self.inherent_likelihood * self.inherent_impact
        self.residual_score = self.residual_likelihood * self.residual_impact
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "inherent_score", "residual_score"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def acceptance_expired(self) -> bool:
        """An accepted risk whose acceptance has run out: it needs a new decision."""
        expires = self.acceptance_expires_on
        return self.treatment == self.Treatment.ACCEPT and expires is not None and expires < timezone.localdate()


class RiskUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Risk, on_delete=models.CASCADE)


class RiskGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Risk, on_delete=models.CASCADE)


# --- Exceptions and findings ---


class ComplianceException(TimeStamped):
    """A time-boxed exception to a requirement or a control, approved by someone else."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    title = models.CharField(max_length=300)
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions"
    )
    control = models.ForeignKey(Control, null=True, blank=True, on_delete=models.PROTECT, related_name="exceptions")
    reason = models.TextField()
    compensating_measures = models.TextField(blank=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_exceptions",
        help_text="Responsible for the exception and its compensating measures until it ends.",
    )
    approver = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, help_text="Why it was approved, rejected or revoked.")
    expires_on = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True)

    class Meta:
        ordering = ["expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requirement__isnull=False) | models.Q(control__isnull=False),
                name="exception_covers_something",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def in_force(cls, today: date | None = None) -> models.Q:
        """Approved exceptions that still hold on ``today`` (through their ``expires_on``).

        The one definition of "active": coverage leaves out the requirements they cover, and
        the controls they cover are excused from the overdue and failed-test flags.
        """
        today = today or timezone.localdate()
        return models.Q(status=cls.Status.APPROVED, expires_on__gte=today)


class Finding(TimeStamped):
    """Something found wrong (a failed test, an audit observation) and its remediation."""

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_REMEDIATION = "in_remediation", "In remediation"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    control = models.ForeignKey(Control, null=True, blank=True, on_delete=models.PROTECT, related_name="findings")
    control_test = models.ForeignKey(
        ControlTest, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    requirement = models.ForeignKey(
        Requirement, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    risk = models.ForeignKey(Risk, null=True, blank=True, on_delete=models.PROTECT, related_name="findings")
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
