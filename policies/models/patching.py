"""Patch checks: software inventories per asset, advisories, the findings they give, the patch policy.

- ``Inventory``: one import of an asset's installed software (dpkg, pip, npm, CycloneDX). Each
  import is a new row; per asset and *scope* (by default the format, so a host's dpkg and pip
  inventories live side by side) the newest one is current (``is_current``).
- ``InstalledPackage``: its rows, bulk-inserted. ``match_name`` is the normalised name matching
  uses (Debian: the source package), so a per-asset check finds its advisories with a join.
- ``Advisory``: one OSV record or one CVE of the Debian tracker, with its affected ranges as JSON
  (the engine's ``policies.patching`` shape). ``vulnerability_id`` is the canonical id of its
  alias group over every stored advisory, so a full check and a per-asset check name a
  vulnerability alike. ``AdvisoryPackage`` lists the (ecosystem, normalised name) it names.
- ``PatchFinding``: one vulnerability of one package on one asset, however many advisories
  describe it. Open until a newer inventory no longer matches it (fixed), accepted while an
  approved exception covers it, withdrawn when every advisory behind it was withdrawn.
- ``PatchPolicy``: the remediation deadlines (one row). ``PatchCheckRun``: each check and its counts.

Rows written in bulk (installed packages, advisories, findings changed by a check) are recorded in
the audit trail through the row of the import or check that wrote them, not one entry each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.models import Asset, ComplianceException
from policies.patching.sla import DEFAULT_SLA_DAYS, KNOWN_EXPLOITED

USER = settings.AUTH_USER_MODEL
NAME_LENGTH = 255
VERSION_LENGTH = 255


class Severity(models.TextChoices):
    """The engine's levels (``policies.patching.severity.Severity``), for people."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    NONE = "none", "None"
    UNKNOWN = "unknown", "Unknown (treated as high)"


# Worst first: sorting by this rank puts critical findings on top.
SEVERITY_RANK: dict[str, int] = {"critical": 5, "high": 4, "unknown": 4, "medium": 3, "low": 2, "none": 1}


class Inventory(models.Model):
    """One import of the software installed on an asset."""

    class Format(models.TextChoices):
        DPKG = "dpkg", "dpkg-query output (Debian)"
        PIP = "pip", "pip inspect JSON or pip freeze"
        NPM = "npm", "npm package-lock.json (v2/v3)"
        CYCLONEDX = "cyclonedx", "CycloneDX JSON SBOM (1.4-1.6)"

    class Via(models.TextChoices):
        UPLOAD = "upload", "Upload page"
        API = "api", "API"
        COMMAND = "command", "import_inventory"
        COLLECT = "collect", "collect_inventory"
        DEMO = "demo", "Demo data"

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="inventories")
    scope = models.CharField(
        max_length=100,
        help_text="What part of the asset it covers (default: the format). The newest inventory of each "
        "scope is current.",
    )
    format = models.CharField(max_length=10, choices=Format.choices)
    release = models.CharField(max_length=20, blank=True, help_text="Debian release, e.g. 'Debian:12'.")
    collected_at = models.DateTimeField(default=timezone.now, db_index=True)
    uploaded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.UPLOAD)
    filename = models.CharField(max_length=255, blank=True)
    package_count = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True, help_text="What was skipped on purpose, and why.")
    is_current = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "inventories"
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "scope"], condition=models.Q(is_current=True), name="one_current_inventory_per_scope"
            )
        ]
        indexes = [models.Index(fields=["asset", "is_current"])]

    def __str__(self) -> str:
        return f"{self.asset} · {self.scope} · {self.collected_at:%Y-%m-%d %H:%M}"


class InstalledPackage(models.Model):
    """One installed package of an inventory (Debian rows also name their source package)."""

    inventory = models.ForeignKey(Inventory, on_delete=models.CASCADE, related_name="packages")
    ecosystem = models.CharField(max_length=60, help_text="PyPI, npm, Debian:12 ...")
    name = models.CharField(max_length=NAME_LENGTH)
    version = models.CharField(max_length=VERSION_LENGTH)
    source_name = models.CharField(max_length=NAME_LENGTH, blank=True)
    source_version = models.CharField(max_length=VERSION_LENGTH, blank=True)
    purl = models.TextField(blank=True)
    match_name = models.CharField(max_length=NAME_LENGTH, help_text="Normalised name advisories are matched on.")

    def __str__(self) -> str:
        return f"{self.name} {self.version} ({self.ecosystem})"


class Advisory(models.Model):
    """One advisory (an OSV record, or a CVE of the Debian security tracker)."""

    class Source(models.TextChoices):
        OSV = "osv", "OSV"
        DEBIAN = "debian", "Debian security tracker"

    advisory_id = models.CharField(max_length=NAME_LENGTH, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    origin = models.CharField(max_length=500, blank=True, help_text="The file (or zip member) it came from.")
    aliases = models.JSONField(default=list, blank=True)
    vulnerability_id = models.CharField(max_length=NAME_LENGTH, db_index=True)
    summary = models.TextField(blank=True)
    package_summary = models.CharField(max_length=300, blank=True, help_text="The packages it names, for lists.")
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.UNKNOWN)
    severity_source = models.CharField(max_length=30, blank=True)
    cvss_score = models.FloatField(null=True, blank=True)
    cvss_vector = models.CharField(max_length=VERSION_LENGTH, blank=True)
    known_exploited = models.BooleanField(default=False)
    published = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(null=True, blank=True)
    withdrawn = models.DateTimeField(null=True, blank=True)
    affected = models.JSONField(default=list, blank=True, help_text="Affected packages with their ranges.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the stored content: unchanged records are skipped.")
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "advisories"

    def __str__(self) -> str:
        return self.advisory_id


class AdvisoryPackage(models.Model):
    """A package an advisory names: (ecosystem, normalised name), for joins with installed packages."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="packages")
    ecosystem = models.CharField(max_length=60)
    name = models.CharField(max_length=NAME_LENGTH)

    class Meta:
        indexes = [models.Index(fields=["name", "ecosystem"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.ecosystem})"


class PatchFinding(models.Model):
    """One vulnerability of one package on one asset."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FIXED = "fixed", "Fixed"
        ACCEPTED = "accepted", "Accepted (exception)"
        WITHDRAWN = "withdrawn", "Withdrawn advisory"

    LIVE = (Status.OPEN, Status.ACCEPTED)

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="patch_findings")
    ecosystem = models.CharField(max_length=60)
    package = models.CharField(max_length=NAME_LENGTH, help_text="Normalised name; Debian: the source package.")
    installed_version = models.CharField(max_length=500, help_text="Affected versions installed (comma-separated).")
    vulnerability_id = models.CharField(max_length=NAME_LENGTH, help_text="Canonical id: a CVE when there is one.")
    advisory_ids = models.JSONField(default=list, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    state = models.CharField(
        max_length=40, blank=True, help_text="Digest of what a check sets: unchanged rows are skipped."
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.UNKNOWN)
    cvss_score = models.FloatField(null=True, blank=True)
    known_exploited = models.BooleanField(default=False)
    fixed_in = models.CharField(max_length=VERSION_LENGTH, blank=True, help_text="The version that fixes it, if known.")
    first_seen = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    fixed_at = models.DateTimeField(null=True, blank=True)
    fixed_version = models.CharField(
        max_length=500, blank=True, help_text="Installed when it was found fixed; empty when the package was removed."
    )
    exception = models.ForeignKey(
        ComplianceException, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When IT administrators were mailed about it.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "ecosystem", "package", "vulnerability_id"],
                condition=models.Q(status__in=["open", "accepted"]),
                name="one_live_patch_finding",
            )
        ]
        indexes = [
            models.Index(fields=["asset", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]
        permissions = [("accept_patchfinding", "Can accept a patch finding under an approved exception")]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} in {self.package} on {self.asset_id}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_date < timezone.localdate()

    @property
    def advisory(self) -> str:
        """The advisory the finding is known by: the one named like the vulnerability, else the first."""
        ids = list(self.advisory_ids or [])
        return self.vulnerability_id if self.vulnerability_id in ids else (ids[0] if ids else self.vulnerability_id)


class PatchPolicy(models.Model):
    """Days allowed to install a fix, counted from when a finding was first seen. One row."""

    known_exploited_days = models.PositiveSmallIntegerField(default=DEFAULT_SLA_DAYS[KNOWN_EXPLOITED])
    critical_days = models.PositiveSmallIntegerField(default=DEFAULT_SLA_DAYS["critical"])
    high_days = models.PositiveSmallIntegerField(default=DEFAULT_SLA_DAYS["high"])
    medium_days = models.PositiveSmallIntegerField(default=DEFAULT_SLA_DAYS["medium"])
    low_days = models.PositiveSmallIntegerField(default=DEFAULT_SLA_DAYS["low"])
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    FIELDS = ("known_exploited_days", "critical_days", "high_days", "medium_days", "low_days")

    class Meta:
        verbose_name_plural = "patch policies"

    def __str__(self) -> str:
        return "Patch policy"

    @classmethod
    def current(cls) -> PatchPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    def sla(self) -> Mapping[str, int]:
        """The mapping ``policies.patching.sla`` takes."""
        return {
            KNOWN_EXPLOITED: self.known_exploited_days,
            "critical": self.critical_days,
            "high": self.high_days,
            "medium": self.medium_days,
            "low": self.low_days,
        }


class PatchCheckRun(models.Model):
    """One patch check (every asset, or one) and what it changed."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=40, help_text="job, command, upload, api ...")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assets_checked = models.PositiveIntegerField(default=0)
    packages_checked = models.PositiveIntegerField(default=0)
    advisories_indexed = models.PositiveIntegerField(default=0)
    new_findings = models.PositiveIntegerField(default=0)
    fixed_findings = models.PositiveIntegerField(default=0)
    reopened_findings = models.PositiveIntegerField(default=0)
    withdrawn_findings = models.PositiveIntegerField(default=0)
    open_findings = models.PositiveIntegerField(default=0)
    overdue_findings = models.PositiveIntegerField(default=0)
    new_critical = models.PositiveIntegerField(default=0)
    unmatched_rows = models.PositiveIntegerField(default=0)
    compliance = models.FloatField(null=True, blank=True, help_text="Per cent of live findings within their SLA.")
    problems = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Patch check {self.started_at:%Y-%m-%d %H:%M}"

    def summary(self) -> dict[str, Any]:
        return {
            "new": self.new_findings,
            "fixed": self.fixed_findings,
            "overdue": self.overdue_findings,
            "open": self.open_findings,
        }
