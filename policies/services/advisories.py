"""Importing advisories offline: OSV (a folder of JSON files, an ecosystem's zip) and Debian's tracker.

- ``read_advisories(path)`` reads what ``path`` is: an OSV ``.zip``; a ``.json`` file that is
  one OSV record or the Debian security tracker's document; a folder, whose zips and JSON files
  (sub-folders included) are each read that way. So the configured advisory folder of the daily
  job can hold ``PyPI/all.zip``, ``npm/all.zip`` and ``debian-tracker.json`` side by side.
- ``import_advisories`` is all or nothing: a malformed record refuses the whole import, naming
  the file and the JSON path (``skip_invalid`` imports the rest and lists what was skipped).
  It is incremental: a record whose ``modified`` time is older than the stored one is ignored,
  one whose content is unchanged is skipped, so re-importing a whole feed writes only what changed
  (Debian tracker entries have no ``modified`` time; their content decides).
- Tracker entries are stored as ``DEBIAN-CVE-...`` aliasing their CVE (OSV's own naming), so the
  CVE's record from another feed keeps its id and lends its severity to them.
- Withdrawn advisories are stored with their date and never matched; the findings that only they
  gave are marked withdrawn by the next check.
- After the writes, alias groups are worked out again over every stored advisory, so each
  advisory knows the canonical id of its vulnerability (``vulnerability_id``).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from policies.models import Advisory, AdvisoryPackage
from policies.patching.advisories import Advisory as EngineAdvisory
from policies.patching.aliases import group_by_alias
from policies.patching.debian_tracker import parse_debian_tracker
from policies.patching.osv import OSVFormatError, parse_osv
from policies.patching.osv_reader import iter_osv
from policies.services import authorize
from policies.services.advisory_records import package_keys, stored_fields

IMPORT_PERM = "policies.add_advisory"
CHUNK = 1000
MAX_ERRORS_SHOWN = 20
_EPOCH = datetime.min.replace(tzinfo=UTC)


class AdvisoryImportError(DomainError):
    """The feed was refused whole: ``errors`` name each bad record (file and JSON path)."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass
class AdvisoryImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    withdrawn: int = 0
    regrouped: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"Read {self.read} advisories: {self.created} new, {self.updated} updated, {self.unchanged} unchanged"
            f"{f', {self.older} older than the stored ones (ignored)' if self.older else ''}; "
            f"{self.withdrawn} withdrawn."
        )
        if self.skipped:
            text += f" Skipped {len(self.skipped)} malformed record(s)."
        return text


# --- Reading ---


def _is_osv_record(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("id"), str) and "modified" in document


def _read_json(path: Path, errors: list[OSVFormatError] | None) -> Iterator[tuple[EngineAdvisory, str]]:
    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        error = OSVFormatError(str(path), "$", f"invalid JSON: {exc}")
        if errors is None:
            raise error from None
        errors.append(error)
        return
    try:
        if _is_osv_record(document):
            yield parse_osv(document, str(path)), Advisory.Source.OSV
        else:
            for advisory in parse_debian_tracker(document, source=str(path)):
                yield advisory, Advisory.Source.DEBIAN
    except OSVFormatError as exc:
        if errors is None:
            raise
        errors.append(exc)


def read_advisories(path: Path, *, errors: list[OSVFormatError] | None = None) -> Iterator[tuple[EngineAdvisory, str]]:
    """(advisory, source) pairs from an OSV zip, a JSON file (OSV record or Debian tracker) or a folder."""
    if path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            suffix = item.suffix.lower()
            if suffix == ".zip":
                yield from ((a, Advisory.Source.OSV) for a in iter_osv(item, errors=errors))
            elif suffix == ".json":
                yield from _read_json(item, errors)
        return
    if not path.exists():
        raise FileNotFoundError(f"No advisory file or folder at {path}.")
    if path.suffix.lower() == ".json":
        yield from _read_json(path, errors)
        return
    try:
        yield from ((a, Advisory.Source.OSV) for a in iter_osv(path, errors=errors))
    except zipfile.BadZipFile:
        raise AdvisoryImportError(f"{path.name} is neither an OSV zip nor a JSON file.") from None


# --- Writing ---


def debian_named(advisory: EngineAdvisory) -> EngineAdvisory:
    """A tracker entry named as OSV names Debian's: ``DEBIAN-CVE-...``, aliasing the CVE.

    The tracker calls each entry by its CVE, which is also the id of the CVE's own OSV record
    (NVD's, with its CVSS vector); both are kept, and the alias makes them one vulnerability.
    """
    if not advisory.id.upper().startswith("CVE-"):
        return advisory  # TEMP-... ids are the tracker's own
    return replace(advisory, id=f"DEBIAN-{advisory.id}", aliases=(advisory.id, *advisory.aliases))


@dataclass
class _Known:
    pk: int
    modified: datetime | None
    digest: str


def _package_rows(pk: int, affected: list[dict[str, Any]]) -> list[AdvisoryPackage]:
    return [AdvisoryPackage(advisory_id=pk, ecosystem=eco, name=name) for eco, name in sorted(package_keys(affected))]


class _Writer:
    def __init__(self, report: AdvisoryImportReport) -> None:
        self.report = report
        self.known = {
            advisory_id: _Known(pk, modified, digest)
            for pk, advisory_id, modified, digest in Advisory.objects.values_list(
                "pk", "advisory_id", "modified", "digest"
            ).iterator(chunk_size=5000)
        }
        self.new: dict[str, dict[str, Any]] = {}
        self.changed: dict[str, dict[str, Any]] = {}

    def add(self, advisory: EngineAdvisory, source: str) -> None:
        self.report.read += 1
        if source == Advisory.Source.DEBIAN:
            advisory = debian_named(advisory)
        if advisory.is_withdrawn:
            self.report.withdrawn += 1
        fields = stored_fields(advisory, source=source)
        advisory_id = fields["advisory_id"]
        pending = self.new.get(advisory_id) or self.changed.get(advisory_id)
        known = self.known.get(advisory_id)
        if pending is not None:  # the same id twice in one import: the newer record wins
            if (fields["modified"] or _EPOCH) < (pending["modified"] or _EPOCH):
                self.report.older += 1
                return
            pending.update(fields)
        elif known is not None:
            if (fields["modified"] or _EPOCH) < (known.modified or _EPOCH):
                self.report.older += 1
            elif fields["digest"] == known.digest:
                self.report.unchanged += 1
            else:
                self.changed[advisory_id] = fields
        else:
            self.new[advisory_id] = fields
        if len(self.new) + len(self.changed) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        now = timezone.now()
        if self.new:
            rows = [Advisory(**fields, imported_at=now, updated_at=now) for fields in self.new.values()]
            created = Advisory.objects.bulk_create(rows, batch_size=500)
            packages = [p for row in created for p in _package_rows(row.pk, row.affected)]
            AdvisoryPackage.objects.bulk_create(packages, batch_size=2000)
            for row in created:
                self.known[row.advisory_id] = _Known(row.pk, row.modified, row.digest)
            self.report.created += len(created)
        if self.changed:
            rows = []
            for advisory_id, fields in self.changed.items():
                row = Advisory(pk=self.known[advisory_id].pk, **fields, updated_at=now)
                rows.append(row)
                self.known[advisory_id] = _Known(row.pk, row.modified, row.digest)
            names = [f for f in self.changed[next(iter(self.changed))] if f != "advisory_id"]
            Advisory.objects.bulk_update(rows, [*names, "updated_at"], batch_size=200)
            pks = [row.pk for row in rows]
            AdvisoryPackage.objects.filter(advisory_id__in=pks).delete()
            AdvisoryPackage.objects.bulk_create(
                [p for row in rows for p in _package_rows(row.pk, row.affected)], batch_size=2000
            )
            self.report.updated += len(rows)
        self.new, self.changed = {}, {}


def refresh_alias_groups() -> int:
    """Give every stored advisory the canonical id of its alias group; returns how many changed."""
    rows = list(Advisory.objects.values_list("pk", "advisory_id", "aliases", "withdrawn", "vulnerability_id"))
    light = [
        EngineAdvisory(id=advisory_id, modified=None, withdrawn=withdrawn, aliases=tuple(aliases or ()))
        for _, advisory_id, aliases, withdrawn, _ in rows
    ]
    group_of = {a.id: group.id for group in group_by_alias(light) for a in group.advisories}
    changed = [
        Advisory(pk=pk, vulnerability_id=group_of.get(advisory_id, current))
        for pk, advisory_id, _, _, current in rows
        if group_of.get(advisory_id, current) != current
    ]
    Advisory.objects.bulk_update(changed, ["vulnerability_id"], batch_size=500)
    return len(changed)


@transaction.atomic
def import_advisories(
    *,
    actor: Any,
    path: Path | None = None,
    advisories: Iterable[tuple[EngineAdvisory, str]] | None = None,
    skip_invalid: bool = False,
) -> AdvisoryImportReport:
    """Import advisories from ``path`` (see ``read_advisories``) or from (advisory, source) pairs."""
    authorize(actor, IMPORT_PERM)
    if (path is None) == (advisories is None):
        raise ValueError("Give either a path or advisories.")
    errors: list[OSVFormatError] = []
    report = AdvisoryImportReport()
    writer = _Writer(report)
    source = advisories if advisories is not None else read_advisories(path, errors=errors)  # type: ignore[arg-type]
    try:
        for advisory, kind in source:
            writer.add(advisory, kind)
    except FileNotFoundError as exc:
        raise AdvisoryImportError(str(exc)) from None
    messages = [str(error) for error in errors]
    if messages and not skip_invalid:
        shown = "; ".join(messages[:MAX_ERRORS_SHOWN])
        more = f" (and {len(messages) - MAX_ERRORS_SHOWN} more)" if len(messages) > MAX_ERRORS_SHOWN else ""
        raise AdvisoryImportError(f"Nothing was imported: {len(messages)} malformed record(s): {shown}{more}", messages)
    writer.flush()
    report.skipped = messages
    report.regrouped = refresh_alias_groups()
    return report
