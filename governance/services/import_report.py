"""What a framework import reports: counts by requirement, how its version relates, its wording.

``ImportReport`` is what ``governance.services.frameworks.import_framework`` returns and what the
import page, the API, the command and the seed show; ``requirement_totals`` is the one wording of a
framework's size ("38 requirements in 8 sections, 8 removed") that every page uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from governance.models import Framework


class VersionOrder:
    """How the file's version relates to the imported one (``ImportReport.version_order``)."""

    NEW = "new"  # the framework did not exist
    NEWER = "newer"
    SAME = "same"
    OLDER = "older"  # only with allow_older
    UNKNOWN = "unknown"


class Progress(Protocol):
    """Told how far an import got; called outside the write transaction only."""

    def __call__(self, phase: str, *, done: int | None = None, total: int | None = None) -> None: ...


def no_progress(phase: str, *, done: int | None = None, total: int | None = None) -> None:
    return None


@dataclass
class ImportReport:
    """What an import did, by requirement."""

    framework: Framework
    fmt: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    restored: int = 0
    withdrawn: int = 0
    created_sections: int = 0  # of ``created``: sections (headings), the rest are requirements
    # The framework after the import: current requirements, current sections, requirements marked removed.
    requirements: int = 0
    sections: int = 0
    removed_total: int = 0
    framework_created: bool = False
    previous_version: str = ""
    version_order: str = VersionOrder.NEW
    changed_ref_ids: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework.key,
            "version": self.framework.version,
            "previous_version": self.previous_version,
            "format": self.fmt,
            "framework_created": self.framework_created,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "restored": self.restored,
            "withdrawn": self.withdrawn,
            "requirements": self.requirements,
            "sections": self.sections,
            "removed_total": self.removed_total,
            "version_order": self.version_order,
            "version_note": self.version_note(),
        }

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed or self.restored)

    def version_note(self) -> str:
        """What the report must say about the version, or nothing when it is simply newer."""
        version, previous = self.framework.version or "(none)", self.previous_version or "(none)"
        if self.version_order == VersionOrder.SAME and self.changed:
            same = version if version == previous else f"{version} (imported as {previous})"
            return f"Same version {same} as before, with changed content: imported as a correction."
        if self.version_order == VersionOrder.OLDER:
            return f"Version {version} is older than the imported version {previous}: imported as confirmed."
        if self.version_order == VersionOrder.UNKNOWN:
            return (
                f"The order of version {version} and the imported version {previous} cannot be told; imported as given."
            )
        return ""

    def summary(self) -> str:
        verb = "Imported" if self.framework_created else "Re-imported"
        withdrawn = f" {self.withdrawn} withdrawn (kept, marked removed)." if self.withdrawn else ""
        note = f" {version_note}" if (version_note := self.version_note()) else ""
        return (
            f"{verb} {self.framework.name} {self.framework.version} ({self.framework.key}): {self.totals()}. "
            f"Entries (requirements and sections): {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed, {self.restored} restored.{withdrawn}{note}"
        )

    def totals(self) -> str:
        """The framework's counts as every page says them: "38 requirements in 8 sections, 3 removed"."""
        return requirement_totals(self.requirements, self.sections, self.removed_total)


def requirement_totals(requirements: int, sections: int, removed: int = 0) -> str:
    """One wording of a framework's size for the import report, the seed and the pages."""
    text = f"{requirements} requirement{'s' if requirements != 1 else ''}"
    if sections:
        text += f" in {sections} section{'s' if sections != 1 else ''}"
    if removed:
        text += f", {removed} removed"
    return text
