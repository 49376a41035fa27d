"""Write side of frameworks: imports (all or nothing) and applicability decisions.

An import validates the whole file first (``governance.importers``), then writes in
one transaction. Requirements are matched by ``(framework, ref_id)``: changed ones
are updated, new ones created, and ones the new version no longer has are marked
``removed_at``, never deleted, so the controls mapped to them stay mapped. A
requirement that comes back is restored. Requirements the file marks withdrawn (OSCAL
``status: withdrawn``) are kept with their text but marked removed the same way, so
they never count in coverage. Applicability decisions survive re-imports.

A re-import compares the file's version with the imported one
(``governance.importers.versions``): an older file is refused, naming the field
``version``, unless the person confirms it (``allow_older``), since it would mark the
newer requirements removed. The same version is a correction; versions whose order
cannot be told are imported and the report says so.

Requirements are written with ``bulk_create``/``bulk_update`` (10,000 rows in a few
seconds), which bypass the audit trail's signals; so each import also writes one
summary entry on the framework naming the actor and the counts.

Pages and the API queue imports (``governance.services.framework_imports``); the
scheduler runs them through ``import_framework`` with a ``progress`` callback that is
told each phase (validating, N requirements validated, writing) *before* the one
write transaction begins, so the import stays all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from auditlog import get_logentry_model
from auditlog.context import auditlog_value
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from access.models import User
from core.errors import DomainError
from core.permissions import require_perm
from governance.importers import FrameworkImportError, ImportIssue, ParsedFramework, RequirementNode, parse_framework
from governance.importers.versions import compare_versions
from governance.models import Framework, Requirement
from governance.services.import_report import ImportReport, Progress, VersionOrder, no_progress
from jobs.isolation import call_isolated

BATCH_SIZE = 1000
MAX_FILE_BYTES = 20 * 1024 * 1024
LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"
LIBRARY_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".json": "oscal"}
# Fields an import owns; applicability and justification belong to the organisation.
IMPORTED_FIELDS = ("reference", "title", "text", "guidance", "is_section", "order", "depth")
POSITION_FIELDS = ("order", "depth")
SOURCES = {"yaml": Framework.Source.YAML, "csv": Framework.Source.CSV, "oscal": Framework.Source.OSCAL}


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{max(1, round(count / 1024))} KB"


def import_framework(
    *,
    actor: User | None,
    data: bytes,
    filename: str,
    fmt: str | None = None,
    framework_key: str | None = None,
    allow_older: bool = False,
    progress: Progress | None = None,
    isolated: bool = False,
) -> ImportReport:
    """Validate a framework file as a whole, then create or update the framework in one transaction.

    Raises ``FrameworkImportError`` (a ``DomainError`` listing every problem, with
    line, row or JSON path and field) and writes nothing when the file is wrong, or
    when it is an older version of an imported framework and ``allow_older`` is not set.
    ``framework_key`` overrides the key the file gives (useful for OSCAL catalogs).
    ``progress`` hears of each phase; it is never called inside the write transaction.
    ``actor`` is None only for the command line (``manage.py import_framework`` without ``--actor``):
    whoever runs it operates the installation, and the audit trail names the command and the
    operating-system user (``core.actor.acting``).
    ``isolated`` parses the file in a child process with memory and time limits
    (``jobs.isolation``): for uploads, so a hostile file can crash nothing but that child.
    """
    say = progress or no_progress
    if actor is not None:  # None: the command line, run by whoever operates the installation
        require_perm(actor, "governance.add_framework")
    if len(data) > MAX_FILE_BYTES:
        raise FrameworkImportError(
            [ImportIssue("file", "", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")]
        )
    # Parsing happens before the transaction: on SQLite the write lock is taken when it begins.
    say(f"Reading and validating {filename or 'the file'} ({_size(len(data))})")
    if isolated:
        parsed = call_isolated("governance.importers:parse_framework", data, filename=filename, fmt=fmt)
    else:
        parsed = parse_framework(data, filename=filename, fmt=fmt)
    count = len(parsed.nodes)
    say(f"{count} requirement{'s' if count != 1 else ''} validated", done=count, total=count)
    if framework_key:
        parsed.meta.key = framework_key.strip()
    if actor is not None and Framework.objects.filter(key=parsed.meta.key).exists():
        require_perm(actor, "governance.change_framework")
    say(f"Writing {count} requirement{'s' if count != 1 else ''} in one transaction (all or nothing)")
    try:
        return _write_import(actor=actor, parsed=parsed, allow_older=allow_older)
    except IntegrityError as exc:
        raise DomainError("Another import of this framework ran at the same time; try again.") from exc


@transaction.atomic
def _write_import(*, actor: User | None, parsed: ParsedFramework, allow_older: bool) -> ImportReport:
    now = timezone.now()
    framework, created, previous_version = _save_framework(actor=actor, parsed=parsed, now=now)
    report = ImportReport(framework=framework, fmt=parsed.fmt, framework_created=created)
    report.previous_version = previous_version
    if not created:
        report.version_order = _version_order(parsed, previous_version, allow_older=allow_older)
    report.withdrawn = sum(1 for node in parsed.nodes if node.withdrawn)
    existing = {r.ref_id: r for r in Requirement.objects.filter(framework=framework)}
    positions = _positions(parsed.nodes, existing)
    for node in parsed.nodes:
        node.order, node.depth = positions[node.ref_id]
    new_nodes = [n for n in parsed.nodes if n.ref_id not in existing]
    ids = _create_new(framework, new_nodes, now)
    report.created = len(new_nodes)
    report.created_sections = sum(1 for node in new_nodes if node.is_section)
    to_update: list[Requirement] = []
    for node in parsed.nodes:
        parent_id = ids[node.parent_ref_id] if node.parent_ref_id else None
        row = existing.get(node.ref_id)
        if row is None:
            continue
        was_removed = row.removed_at is not None
        content_changed, changed = _apply(row, node, parent_id, now)
        if changed:
            to_update.append(row)
        if content_changed:
            report.updated += 1
            report.restored += int(was_removed and row.removed_at is None)
            report.changed_ref_ids.append(node.ref_id)
        else:
            report.unchanged += 1
    wanted = {node.ref_id for node in parsed.nodes}
    for ref_id, row in existing.items():
        if ref_id in wanted:
            continue
        position = positions.get(ref_id, (row.order, row.depth))
        if row.removed_at is None or (row.order, row.depth) != position:
            report.removed += int(row.removed_at is None)
            row.removed_at = row.removed_at or now
            row.order, row.depth = position
            row.updated_at = now
            to_update.append(row)
    _bulk_update(to_update)
    _count_totals(framework, report)
    _log_import(actor=actor, framework=framework, report=report)
    return report


def _count_totals(framework: Framework, report: ImportReport) -> None:
    """The framework's size after the import, counted as the Frameworks list counts it (one query)."""
    current = Q(removed_at__isnull=True)
    totals = Requirement.objects.filter(framework=framework).aggregate(
        requirements=Count("pk", filter=current & Q(is_section=False)),
        sections=Count("pk", filter=current & Q(is_section=True)),
        removed=Count("pk", filter=Q(removed_at__isnull=False, is_section=False)),
    )
    report.requirements, report.sections = totals["requirements"], totals["sections"]
    report.removed_total = totals["removed"]


def _positions(nodes: list[RequirementNode], existing: dict[str, Requirement]) -> dict[str, tuple[int, int]]:
    """Order and depth of every requirement: the file's tree, with removed ones kept in place.

    A removed requirement stays under its former parent, after that parent's current
    children, so the tree still shows it (struck through) where it used to be.
    """
    wanted = {n.ref_id for n in nodes}
    ref_of = {row.pk: ref for ref, row in existing.items()}
    roots: list[str] = []
    children: dict[str, list[str]] = {}
    for node in nodes:
        (children.setdefault(node.parent_ref_id, []) if node.parent_ref_id else roots).append(node.ref_id)
    gone = sorted((r for ref, r in existing.items() if ref not in wanted), key=lambda r: (r.order, r.pk))
    for row in gone:
        parent = ref_of.get(row.parent_id) if row.parent_id else None
        (children.setdefault(parent, []) if parent else roots).append(row.ref_id)
    positions: dict[str, tuple[int, int]] = {}
    stack = [(ref, 0) for ref in reversed(roots)]
    while stack:
        ref, depth = stack.pop()
        if ref in positions:
            continue
        positions[ref] = (len(positions) + 1, depth)
        stack.extend((child, depth + 1) for child in reversed(children.get(ref, [])))
    return positions


def _version_order(parsed: ParsedFramework, previous: str, *, allow_older: bool) -> str:
    """How the file's version relates to the imported one; an older one is refused unless confirmed."""
    version = parsed.meta.version
    order = compare_versions(version, previous)
    if order is None:
        return VersionOrder.UNKNOWN
    if order > 0:
        return VersionOrder.NEWER
    if order == 0:
        return VersionOrder.SAME
    if allow_older:
        return VersionOrder.OLDER
    meta = parsed.meta
    message = (
        f"this file is version {version}, older than the imported version {previous}; importing it would mark "
        "the newer requirements removed. To replace the newer version anyway, confirm it: tick "
        "'Replace a newer version' on the upload page, add --allow-older to import_framework, "
        "or send allow_older=true to the API"
    )
    raise FrameworkImportError([ImportIssue(meta.where.get("version", meta.location or "file"), "version", message)])


def _save_framework(*, actor: User | None, parsed: ParsedFramework, now: datetime) -> tuple[Framework, bool, str]:
    meta = parsed.meta
    framework = Framework.objects.select_for_update().filter(key=meta.key).first()
    created = framework is None
    previous_version = "" if framework is None else framework.version
    if framework is None:
        framework = Framework(key=meta.key)
    framework.name = meta.name
    framework.version = meta.version
    framework.publisher = meta.publisher
    framework.description = meta.description
    framework.source = SOURCES[parsed.fmt]
    framework.imported_at = now
    framework.imported_by = actor
    try:
        framework.full_clean(validate_unique=False)
    except ValidationError as exc:
        issues = [
            ImportIssue(meta.where.get(name, meta.location or "file"), name, " ".join(messages))
            for name, messages in exc.message_dict.items()
        ]
        raise FrameworkImportError(issues) from exc
    framework.save()
    return framework, created, previous_version


def _create_new(framework: Framework, nodes: list[RequirementNode], now: datetime) -> dict[str, int]:
    """Create new requirements level by level, so each parent has its id before its children.

    Returns the id of every requirement of the framework by ``ref_id``.
    """
    ids = dict(Requirement.objects.filter(framework=framework).values_list("ref_id", "pk"))
    for depth in sorted({n.depth for n in nodes}):
        level = [_new_requirement(framework, n, now, ids.get(n.parent_ref_id)) for n in nodes if n.depth == depth]
        Requirement.objects.bulk_create(level, batch_size=BATCH_SIZE)
        ids = dict(Requirement.objects.filter(framework=framework).values_list("ref_id", "pk"))
    return ids


def _new_requirement(framework: Framework, node: RequirementNode, now: datetime, parent_id: int | None) -> Requirement:
    return Requirement(
        framework=framework,
        parent_id=parent_id,
        ref_id=node.ref_id,
        reference=node.reference,
        title=node.title,
        text=node.text,
        guidance=node.guidance,
        is_section=node.is_section,
        order=node.order,
        depth=node.depth,
        removed_at=now if node.withdrawn else None,
        created_at=now,
        updated_at=now,
    )


def _apply(row: Requirement, node: RequirementNode, parent_id: int | None, now: datetime) -> tuple[bool, bool]:
    """Copy the imported fields onto ``row``.

    Returns (content changed, anything changed): a requirement whose text, title, parent
    ... changed (or that comes back, or is withdrawn now) counts as updated; one that only
    moved in the order because others came or went is saved but counts as unchanged. A
    withdrawn one stays marked removed (since its first withdrawal); any other is current.
    """
    content = row.parent_id != parent_id or (row.removed_at is not None) != node.withdrawn
    moved = False
    for name in IMPORTED_FIELDS:
        value = getattr(node, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            if name in POSITION_FIELDS:
                moved = True
            else:
                content = True
    if content or moved:
        row.parent_id = parent_id
        row.removed_at = (row.removed_at or now) if node.withdrawn else None
        row.updated_at = now
    return content, content or moved


def _bulk_update(rows: list[Requirement]) -> None:
    """One parameterised UPDATE per row, sent with ``executemany``.

    Django's ``bulk_update`` builds a CASE expression per field and batch, which takes
    tens of seconds for 10,000 rows; ``executemany`` takes well under one on both databases.
    """
    if not rows:
        return
    meta = Requirement._meta
    fields = [meta.get_field(name) for name in ("parent", *IMPORTED_FIELDS, "removed_at", "updated_at")]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)  # type: ignore[union-attr]
    pk_column = quote(str(meta.pk.column))  # type: ignore[union-attr]
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields] + [row.pk]  # type: ignore[union-attr]
        for row in rows
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(params), BATCH_SIZE):
            cursor.executemany(sql, params[start : start + BATCH_SIZE])


def _log_import(*, actor: User | None, framework: Framework, report: ImportReport) -> None:
    """One audit-trail entry for the whole import (bulk writes bypass the per-row entries)."""
    log_entry = get_logentry_model()
    summary = report.as_dict()
    changes: dict[str, list[Any]] = {
        "size": [None, report.totals()],
        "entries created": [None, report.created],
        "entries updated": [None, report.updated],
        "entries removed": [None, report.removed],
        "entries unchanged": [None, report.unchanged],
    }
    if report.withdrawn:
        changes["entries withdrawn"] = [None, report.withdrawn]
    if report.previous_version != framework.version:
        changes["version"] = [report.previous_version or None, framework.version]
    if note := report.version_note():
        changes["version order"] = [None, note]
    # Inside ``acting`` the context's extra data replaces an entry's own; merge ours into it.
    try:
        context: dict[str, Any] | None = auditlog_value.get()
    except LookupError:
        context = None
    previous = context.get("additional_data") if context is not None else None
    if context is not None and isinstance(previous, dict):
        context["additional_data"] = {**previous, "import": summary}
    try:
        log_entry.objects.log_create(
            framework,
            force_log=True,
            action=log_entry.Action.UPDATE,
            changes=changes,
            changes_text=report.summary(),
            additional_data={"import": summary},
            actor=actor,
            actor_email=actor.email if actor is not None else None,
        )
    finally:
        if context is not None and isinstance(previous, dict):
            context["additional_data"] = previous


def library_files() -> list[Path]:
    """The framework files shipped with Rampart."""
    return sorted(p for p in LIBRARY_DIR.iterdir() if p.suffix.lower() in LIBRARY_FORMATS)


def import_library(*, actor: User | None, only_new: bool = False, allow_older: bool = False) -> list[ImportReport]:
    """Import every shipped framework.

    With ``only_new``, skip those imported already unless the shipped version is newer. Else
    a shipped file older than the imported version is refused unless ``allow_older``.
    """
    reports = []
    for path in library_files():
        data = path.read_bytes()
        fmt = LIBRARY_FORMATS[path.suffix.lower()]
        if only_new:
            meta = parse_framework(data, filename=path.name, fmt=fmt).meta
            current = Framework.objects.filter(key=meta.key).values_list("version", flat=True).first()
            if current is not None and (compare_versions(meta.version, current) or 0) <= 0:
                continue
        reports.append(import_framework(actor=actor, data=data, filename=path.name, fmt=fmt, allow_older=allow_older))
    return reports


# --- Applicability ---


@transaction.atomic
def set_requirement_applicability(
    *, actor: User, requirement: Requirement, applicable: bool, justification: str = ""
) -> Requirement:
    """Say whether a requirement applies; saying it does not needs a justification."""
    require_perm(actor, "governance.change_requirement")
    requirement.applicable = applicable
    requirement.justification = (justification or "").strip()
    requirement.full_clean(exclude=["parent", "framework"], validate_unique=False, validate_constraints=False)
    requirement.save(update_fields=["applicable", "justification", "updated_at"])
    return requirement


@transaction.atomic
def set_applicability_bulk(
    *, actor: User, requirements: Iterable[Requirement], applicable: bool, justification: str = ""
) -> int:
    """The same decision for many requirements, each recorded in the audit trail. Returns the count."""
    require_perm(actor, "governance.change_requirement")
    if not applicable and not (justification or "").strip():
        raise ValidationError({"justification": "Say why these requirements do not apply."})
    count = 0
    for requirement in requirements:
        set_requirement_applicability(
            actor=actor, requirement=requirement, applicable=applicable, justification=justification
        )
        count += 1
    return count
