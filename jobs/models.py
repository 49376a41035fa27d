"""Scheduler state: editable schedules, leases that stop double runs, and run history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.jobs_registry import job_label


class JobSchedule(models.Model):
    """When a registered job runs. Users edit these; the scheduler re-reads them."""

    job_id = models.CharField(max_length=100, unique=True)
    cron = models.CharField(max_length=100, blank=True, help_text="Five-field cron expression, e.g. '30 2 * * *'.")
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["job_id"]

    def __str__(self) -> str:
        return f"{self.job_id} ({self.cron or f'every {self.interval_seconds}s'})"


class JobLease(models.Model):
    """Held by one scheduler process while a job runs; a job never runs twice at once."""

    job_id = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lease {self.job_id} held by {self.holder or 'nobody'}"


class JobRun(models.Model):
    """One run of a job: queued by a person, or fired by its trigger."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (already running)"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Run now"
        COMMAND = "command", "Command line"
        TASK = "task", "Requested"

    job_id = models.CharField(max_length=100, db_index=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    queued_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    output = models.TextField(blank=True)
    error = models.TextField(blank=True)
    # On-demand tasks: what to work on (private to the scheduler; never shown by the API) ...
    params = models.JSONField(default=dict, blank=True)
    # ... how far the run got (written by ``jobs.tasks.report_progress``, outside transactions) ...
    progress_phase = models.CharField(max_length=200, blank=True)
    progress_done = models.PositiveIntegerField(null=True, blank=True)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    # ... and what it produced, for the page that shows the outcome (e.g. an import report or its errors).
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.job_id} {self.status} at {self.queued_at:%Y-%m-%d %H:%M}"

    @property
    def job_label(self) -> str:
        """The job's name for people ("Expire API tokens"), not its id."""
        return job_label(self.job_id)

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def progress_percent(self) -> int | None:
        """Share of the work done, when the task said how much there is."""
        if self.progress_total and self.progress_done is not None:
            return min(100, round(100 * self.progress_done / self.progress_total))
        return None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
