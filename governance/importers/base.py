"""The form every framework file is read into, and the checks common to all formats.

A parser turns a file into a ``ParsedFramework``: the framework's meta data and an
ordered list of ``RequirementNode`` (pre-order: a parent before its children). It
never writes anything. Every problem is collected as an ``ImportIssue`` naming where
it is (a YAML line, a CSV row, a JSON path) and which field; the parser carries on
so the person sees every error of the file at once. ``validate_tree`` then checks
what all formats share (identifiers, titles, parents, lengths) and sets order and depth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.errors import DomainError
from governance.models import withdrawn_note

KEY_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_LENGTHS = {"ref_id": 100, "reference": 200, "title": 500}
META_MAX_LENGTHS = {"key": 120, "name": 200, "version": 50, "publisher": 200}
MAX_ISSUES = 500
# The ``status`` of a requirement in the YAML and CSV formats (any case; empty is active).
STATUS_ACTIVE = "active"
STATUS_WITHDRAWN = "withdrawn"
STATUSES = (STATUS_ACTIVE, STATUS_WITHDRAWN)


@dataclass(frozen=True)
class ImportIssue:
    """One problem of a file: where (line, row or JSON path), which field, and what is wrong."""

    location: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return f"{self.location}, field '{self.field}': {self.message}"
        return f"{self.location}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "field": self.field, "message": self.message}


class FrameworkImportError(DomainError):
    """The file was refused as a whole; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        self.issues = issues
        count = len(issues)
        first = str(issues[0]) if issues else "unknown problem"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"The file was not imported: {first}{more}.")

    def __reduce__(self) -> Any:
        # Pickled with its issues (it comes back from the isolated parser process, jobs.isolation).
        return (type(self), (self.issues,))


@dataclass
class FrameworkMeta:
    key: str = ""
    name: str = ""
    version: str = ""
    publisher: str = ""
    description: str = ""
    # Where each meta field was found, for error messages.
    where: dict[str, str] = field(default_factory=dict)
    location: str = ""


@dataclass
class RequirementNode:
    """One requirement or section, as read from the file."""

    ref_id: str
    title: str
    parent_ref_id: str = ""
    reference: str = ""
    text: str = ""
    guidance: str = ""
    is_section: bool = False
    # Withdrawn by its publisher (OSCAL ``status: withdrawn``): kept, but marked removed.
    withdrawn: bool = False
    order: int = 0
    depth: int = 0
    # Where the node and each of its fields are, for error messages.
    location: str = ""
    where: dict[str, str] = field(default_factory=dict)
    # The name a field has in the file, when it differs (CSV: parent -> parent_ref_id).
    names: dict[str, str] = field(default_factory=dict)

    def at(self, name: str) -> str:
        return self.where.get(name, self.location)

    def named(self, name: str) -> str:
        return self.names.get(name, name)


@dataclass
class ParsedFramework:
    fmt: str
    meta: FrameworkMeta
    nodes: list[RequirementNode]


class Issues:
    """Collects issues; stops adding after ``MAX_ISSUES`` so a broken file cannot flood a page."""

    def __init__(self) -> None:
        self.items: list[ImportIssue] = []
        self.truncated = False

    def add(self, location: str, field_name: str, message: str) -> None:
        if len(self.items) >= MAX_ISSUES:
            self.truncated = True
            return
        self.items.append(ImportIssue(location, field_name, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            items = list(self.items)
            if self.truncated:
                items.append(ImportIssue("file", "", f"more than {MAX_ISSUES} problems; only the first are shown"))
            raise FrameworkImportError(items)


def decode_text(data: bytes, issues: Issues) -> str | None:
    """The file as text (UTF-8, an optional byte-order mark), or None with an issue."""
    if not data.strip():
        issues.add("file", "", "the file is empty")
        return None
    if b"\x00" in data[:8192]:
        issues.add("file", "", "this is a binary file, not a YAML, CSV or JSON text file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issues.add("file", "", f"the file is not UTF-8 text (bad byte at offset {exc.start})")
        return None


def as_text(value: Any) -> str | None:
    """A scalar as text (numbers become text, e.g. version 1.0); None for lists and mappings."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def read_status(node: RequirementNode, status: str | None, replaced_by: str | None, issues: Issues) -> None:
    """The ``status`` and ``replaced_by`` fields of a YAML or CSV requirement.

    ``withdrawn`` marks the node withdrawn, the same flag OSCAL's ``status`` prop sets, and
    starts its guidance with ``Withdrawn: ...`` (and ``Replaced by: ...`` when given), as
    the OSCAL importer does. ``None`` is a value that is not text (YAML lists, mappings).
    """
    if status is None:
        issues.add(node.at("status"), "status", f"must be text: {' or '.join(STATUSES)}")
        return
    value = status.strip().lower() or STATUS_ACTIVE
    if value not in STATUSES:
        issues.add(node.at("status"), "status", f"'{status.strip()}' is not a status (use {' or '.join(STATUSES)})")
        return
    if replaced_by is None:
        issues.add(node.at("replaced_by"), "replaced_by", "must be text")
        return
    successor = " ".join(replaced_by.split())
    if value == STATUS_ACTIVE:
        if successor:
            message = "only a withdrawn requirement names what replaced it (set status to withdrawn)"
            issues.add(node.at("replaced_by"), "replaced_by", message)
        return
    node.withdrawn = True
    lines = [withdrawn_note("requirement")]
    if successor:
        lines.append(f"Replaced by: {successor}")
    if node.guidance:
        lines.append(node.guidance)
    node.guidance = "\n".join(lines)


def validate_meta(meta: FrameworkMeta, issues: Issues) -> None:
    where = meta.where
    location = meta.location or "file"
    if not meta.key:
        issues.add(where.get("key", location), "key", "the framework key is missing (a stable identifier)")
    elif not KEY_PATTERN.match(meta.key):
        issues.add(where.get("key", location), "key", "use only letters, digits, '-' and '_' (e.g. 'iso27001-2022')")
    if not meta.name.strip():
        issues.add(where.get("name", location), "name", "the framework name is missing")
    for name, limit in META_MAX_LENGTHS.items():
        if len(getattr(meta, name)) > limit:
            issues.add(where.get(name, location), name, f"longer than {limit} characters")


def validate_tree(nodes: list[RequirementNode], issues: Issues) -> None:
    """Identifiers unique and present, titles present, parents known and acyclic; set order and depth."""
    if not nodes:
        issues.add("file", "requirements", "the file has no requirements")
        return
    first_seen: dict[str, RequirementNode] = {}
    for node in nodes:
        if not node.ref_id:
            issues.add(node.at("ref_id"), node.named("ref_id"), "the identifier is missing")
        elif node.ref_id in first_seen:
            issues.add(
                node.at("ref_id"),
                node.named("ref_id"),
                f"duplicate identifier '{node.ref_id}' (first at {first_seen[node.ref_id].at('ref_id')})",
            )
        else:
            first_seen[node.ref_id] = node
        if not node.title.strip():
            issues.add(node.at("title"), node.named("title"), "the title is missing")
        for name, limit in MAX_LENGTHS.items():
            if len(getattr(node, name)) > limit:
                issues.add(node.at(name), node.named(name), f"longer than {limit} characters")
    for node in nodes:
        parent = node.parent_ref_id
        if not parent:
            continue
        if parent == node.ref_id:
            issues.add(node.at("parent"), node.named("parent"), f"'{node.ref_id}' cannot be its own parent")
        elif parent not in first_seen:
            issues.add(node.at("parent"), node.named("parent"), f"unknown parent '{parent}'")
    if issues:
        return
    _set_depth_and_order(nodes, first_seen, issues)


def _set_depth_and_order(nodes: list[RequirementNode], by_ref: dict[str, RequirementNode], issues: Issues) -> None:
    """Depth from the parent chain (refusing cycles); order is the pre-order position of the tree."""
    depth: dict[str, int] = {}
    for node in nodes:
        chain: list[str] = []
        current: RequirementNode | None = node
        while current is not None and current.ref_id not in depth:
            if current.ref_id in chain:
                issues.add(node.at("parent"), node.named("parent"), f"the parents of '{node.ref_id}' form a loop")
                return
            chain.append(current.ref_id)
            current = by_ref.get(current.parent_ref_id) if current.parent_ref_id else None
        base = depth[current.ref_id] + 1 if current is not None else 0
        for offset, ref in enumerate(reversed(chain)):
            depth[ref] = base + offset
    children: dict[str, list[RequirementNode]] = {}
    roots: list[RequirementNode] = []
    for node in nodes:
        node.depth = depth[node.ref_id]
        (children.setdefault(node.parent_ref_id, []) if node.parent_ref_id else roots).append(node)
    ordered: list[RequirementNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.ref_id, [])))
    for position, node in enumerate(ordered, start=1):
        node.order = position
    nodes[:] = ordered
