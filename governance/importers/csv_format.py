"""Rampart's CSV framework format (see docs/framework-format.md).

One row per requirement, comma-separated, UTF-8, a header row first. The framework
columns (``framework_key``, ``framework_name``, ``framework_version`` and the
optional ``framework_publisher`` and ``framework_description``) are read from the
first data row; later rows may leave them empty, and when they fill them in they
must say the same. The optional ``status`` column (``active``, the default, or
``withdrawn``) and ``replaced_by`` mark withdrawn requirements. Errors name the row
as a spreadsheet numbers it (the header is row 1).
"""

from __future__ import annotations

import csv
import io

from governance.importers.base import (
    FrameworkMeta,
    Issues,
    ParsedFramework,
    RequirementNode,
    decode_text,
    read_status,
    validate_meta,
    validate_tree,
)

META_COLUMNS = {
    "framework_key": "key",
    "framework_name": "name",
    "framework_version": "version",
    "framework_publisher": "publisher",
    "framework_description": "description",
}
NODE_COLUMNS = (
    "ref_id",
    "parent_ref_id",
    "reference",
    "title",
    "text",
    "guidance",
    "is_section",
    "status",
    "replaced_by",
)
REQUIRED_COLUMNS = ("framework_key", "framework_name", "ref_id", "title")
ALLOWED_COLUMNS = {*META_COLUMNS, *NODE_COLUMNS}
TRUE_VALUES = {"true", "yes", "y", "1", "x"}
FALSE_VALUES = {"false", "no", "n", "0", ""}
MAX_FIELD = 1_000_000


def parse(data: bytes, issues: Issues) -> ParsedFramework | None:
    text = decode_text(data, issues)
    if text is None:
        return None
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (csv.Error, StopIteration) as exc:
        issues.add("row 1", "", f"not a CSV file with a header row ({exc or 'no rows'})")
        return None
    if not _check_header(header, issues):
        return None
    meta = FrameworkMeta(location="row 2")
    nodes: list[RequirementNode] = []
    row_number = 1
    try:
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                issues.add(f"row {row_number}", "", f"has {len(row)} columns, the header has {len(header)}")
                continue
            values = dict(zip(header, row, strict=True))
            _read_meta(values, meta, row_number, issues)
            nodes.append(_node(values, row_number, issues))
    except csv.Error as exc:
        issues.add(f"row {row_number + 1}", "", f"not valid CSV: {exc}")
        return None
    validate_meta(meta, issues)
    validate_tree(nodes, issues)
    return ParsedFramework("csv", meta, nodes)


def _check_header(header: list[str], issues: Issues) -> bool:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    for column in missing:
        issues.add("row 1", column, "this column is missing from the header row")
    for column in header:
        if column not in ALLOWED_COLUMNS:
            issues.add("row 1", column or "(empty)", f"unknown column (allowed: {', '.join(sorted(ALLOWED_COLUMNS))})")
    seen: set[str] = set()
    for column in header:
        if column in seen:
            issues.add("row 1", column, "this column appears twice")
        seen.add(column)
    return not issues


def _read_meta(values: dict[str, str], meta: FrameworkMeta, row: int, issues: Issues) -> None:
    for column, name in META_COLUMNS.items():
        value = values.get(column, "").strip()
        if name not in meta.where:
            # The first data row defines the framework.
            meta.where[name] = f"row {row}"
            setattr(meta, name, value)
        elif value and value != getattr(meta, name):
            issues.add(
                f"row {row}", column, f"'{value}' differs from '{getattr(meta, name)}' given in {meta.where[name]}"
            )


def _node(values: dict[str, str], row: int, issues: Issues) -> RequirementNode:
    flag = values.get("is_section", "").strip().lower()
    is_section = flag in TRUE_VALUES
    if flag not in TRUE_VALUES | FALSE_VALUES:
        issues.add(f"row {row}", "is_section", f"'{flag}' is not yes/no (true/false, 1/0)")
    where = f"row {row}"
    node = RequirementNode(
        ref_id=values.get("ref_id", "").strip(),
        title=values.get("title", "").strip(),
        parent_ref_id=values.get("parent_ref_id", "").strip(),
        reference=values.get("reference", "").strip(),
        text=values.get("text", "").strip(),
        guidance=values.get("guidance", "").strip(),
        is_section=is_section,
        location=where,
        names={"parent": "parent_ref_id"},
    )
    read_status(node, values.get("status", ""), values.get("replaced_by", ""), issues)
    return node
