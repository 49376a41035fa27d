"""Backups: who may decrypt (recipients), what to back up when and where (plans), what was
written (sets), and the restore drills that prove a set can be restored.

The destination is the source of truth about a set: its signed ``manifest.json`` says what the
set holds. A ``BackupSet`` row mirrors it for the pages, the retention and the evidence.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from backups.age import KeyFormatError, X25519Recipient
from backups.destinations import DestinationError, validate_destination
from jobs.cron import cron_trigger

SET_ID_LENGTH = 23  # 20261201T073000Z-a1b2c3


def new_set_id(now: datetime | None = None) -> str:
    """A set id that sorts by time: the UTC start to the second, then six random hex digits."""
    moment = (now or timezone.now()).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def validate_public_key(value: str) -> None:
    try:
        X25519Recipient.parse(value)
    except KeyFormatError as exc:
        raise ValidationError(
            "This is not an age public key: it starts with age1 and is 62 characters long "
            "(age-keygen prints it as 'Public key: age1...')."
        ) from exc


def validate_cron(value: str) -> None:
    try:
        cron_trigger(value)
    except ValueError as exc:
        raise ValidationError(
            f"Cron expression {value!r} is not valid: {exc} Use five fields in UTC: minute hour day month weekday."
        ) from exc


def validate_destination_field(value: str) -> None:
    try:
        validate_destination(value)
    except DestinationError as exc:
        raise ValidationError(str(exc)) from exc


class BackupRecipient(models.Model):
    """An age public key backups are encrypted to. The private key never comes here."""

    name = models.CharField(max_length=100, unique=True)
    public_key = models.CharField(max_length=100, unique=True, validators=[validate_public_key])
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.public_key = self.public_key.strip()

    def recipient(self) -> X25519Recipient:
        return X25519Recipient.parse(self.public_key)


class BackupPlan(models.Model):
    """What to back up, when (cron, UTC), where, to whom, compressed or not, and how long to keep it."""

    class What(models.TextChoices):
        BOTH = "both", "Database and stored files"
        DATABASE = "database", "Database"
        FILES = "files", "Stored files"

    name = models.CharField(max_length=100, unique=True)
    what = models.CharField(max_length=10, choices=What.choices, default=What.BOTH)
    cron = models.CharField(
        max_length=100,
        default="30 2 * * *",
        validators=[validate_cron],
        help_text="Five fields in UTC: minute hour day month weekday, e.g. <code>30 2 * * *</code> (02:30 daily).",
    )
    destination = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_destination_field],
        help_text="Empty: the local backup folder. Otherwise a storage name from the STORAGES setting "
        "(e.g. an S3 bucket) or an absolute folder path.",
    )
    compression = models.BooleanField(default=True, help_text="Compress with zstd before encrypting.")
    keep_daily = models.PositiveSmallIntegerField(default=7, help_text="Newest set of each of this many days.")
    keep_weekly = models.PositiveSmallIntegerField(default=4, help_text="Newest set of each of this many weeks.")
    keep_monthly = models.PositiveSmallIntegerField(default=6, help_text="Newest set of each of this many months.")
    recipients = models.ManyToManyField(
        BackupRecipient,
        blank=True,
        related_name="plans",
        help_text="Whose keys can decrypt the sets. None chosen: every active recipient.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The scheduled slot a "missed backup" alert was last sent for (one alert per slot).
    missed_alert_for = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [("run_backupplan", "Can run a backup plan now")]

    def __str__(self) -> str:
        return self.name

    @property
    def includes_database(self) -> bool:
        return self.what in (self.What.BOTH, self.What.DATABASE)

    @property
    def includes_files(self) -> bool:
        return self.what in (self.What.BOTH, self.What.FILES)


class BackupSet(models.Model):
    """One backup: the files of one run in one folder of the destination, complete once its manifest is there."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"
        PRUNED = "pruned", "Deleted by retention"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Run now"
        COMMAND = "command", "Command line"
        BEFORE_RESTORE = "before_restore", "Before a restore"

    set_id = models.CharField(max_length=40, unique=True)
    plan = models.ForeignKey(BackupPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="sets")
    plan_name = models.CharField(max_length=100, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    destination = models.CharField(max_length=500, blank=True, help_text="The plan's destination at the time.")
    location = models.CharField(max_length=1000, blank=True, help_text="Where the set's folder is, for people.")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    plaintext_bytes = models.BigIntegerField(null=True, blank=True)
    ciphertext_bytes = models.BigIntegerField(null=True, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verify_ok = models.BooleanField(null=True, blank=True)
    verify_full = models.BooleanField(default=False, help_text="Whether the last check decrypted every file.")
    verify_detail = models.TextField(blank=True)
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["plan", "status", "started_at"])]

    def __str__(self) -> str:
        return self.set_id

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def files(self) -> list[dict[str, object]]:
        files = self.manifest.get("files", []) if isinstance(self.manifest, dict) else []
        return files if isinstance(files, list) else []

    @property
    def database_vendor(self) -> str:
        database = self.manifest.get("database") if isinstance(self.manifest, dict) else None
        return str(database.get("vendor", "")) if isinstance(database, dict) else ""


class RestoreDrill(models.Model):
    """A restore of a set into a scratch database and folder, checked and thrown away: evidence that backups restore."""

    class Result(models.TextChoices):
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        MISSED = "missed", "Missed"

    backup_set = models.ForeignKey(BackupSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="drills")
    set_id = models.CharField(max_length=40, blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.RUNNING)
    summary = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"drill of {self.set_id or 'no set'}: {self.result}"

    @property
    def checks(self) -> list[dict[str, object]]:
        checks = self.details.get("checks", []) if isinstance(self.details, dict) else []
        return checks if isinstance(checks, list) else []
