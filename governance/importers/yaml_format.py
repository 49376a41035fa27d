"""Rampart's YAML framework format (see docs/framework-format.md).

::

    framework:
      key: rampart-backoffice-baseline
      name: Back-office security baseline
      version: "1.0"
    requirements:
      - ref_id: RA
        title: Restricted access
        children:
          - ref_id: RA-1
            title: Named accounts only
            text: ...

Requirements nest with ``children``; a flat list may name ``parent`` instead.
``status: withdrawn`` (optional, with ``replaced_by``) keeps a requirement marked removed.
Errors name the line of the value (the loader keeps each node's position).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from governance.importers.base import (
    FrameworkMeta,
    Issues,
    ParsedFramework,
    RequirementNode,
    as_text,
    decode_text,
    read_status,
    validate_meta,
    validate_tree,
)

META_FIELDS = ("key", "name", "version", "publisher", "description")
# Checked on the stream of parser events before anything is built: libyaml builds nested
# collections by recursion in C, and 100,000 ``[`` crash the process. A requirement level is
# two YAML levels (a list of mappings), so this leaves room for MAX_NESTING levels and more.
MAX_NUMBER_CHARS = 100  # a plain scalar that reads as a number; Python's own limit is 4300 digits
_NUMBER = re.compile(r"[-+]?(\.?[0-9][0-9_:.]*([eE][-+]?[0-9]+)?|0[xob][0-9a-fA-F_]+)")
NODE_TEXT_FIELDS = ("ref_id", "parent", "reference", "title", "text", "guidance")
NODE_FIELDS = {*NODE_TEXT_FIELDS, "is_section", "children", "status", "replaced_by"}
MAX_NESTING = 50
MAX_DEPTH = 2 * MAX_NESTING + 10


class MarkedDict(dict[Any, Any]):
    """A mapping that remembers its own line and the line of each value."""

    line: int = 0
    lines: dict[str, int]


# libyaml when available (ten times faster on large files); both keep node positions.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """Safe loading that keeps line numbers, refuses aliases and notes duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # A node met a second time was reached through an alias (*name).
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases (*name) are not supported in framework files", node.start_mark
            )
        return super().construct_object(node, deep=deep)


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[MarkedDict]:
    data = MarkedDict()
    data.line = node.start_mark.line + 1
    data.lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        if not isinstance(key, str | int | float | bool) or key is None:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be plain text", key_node.start_mark)
        name = str(key)
        if name in data.lines:
            loader.duplicates.append((key_node.start_mark.line + 1, name))
        data[name] = loader.construct_object(value_node, deep=True)  # type: ignore[no-untyped-call]
        data.lines[name] = value_node.start_mark.line + 1


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)  # type: ignore[arg-type]


def _line(mapping: MarkedDict, name: str | None = None) -> str:
    lines = getattr(mapping, "lines", {})
    number = lines.get(name, mapping.line) if name else mapping.line
    return f"line {number}"


def _event_line(event: Any) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}" if mark is not None else "file"


def check_limits(text: str, issues: Issues) -> bool:
    """Depth and number sizes, read from the parser's events (no recursion); False with an issue when past a limit.

    Syntax errors are left to ``load``, which names their line.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Base):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    where = _event_line(event)
                    issues.add(where, "", f"nested deeper than {MAX_DEPTH} levels; a framework file never is")
                    return False
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif (
                isinstance(event, yaml.ScalarEvent)
                and not event.style  # plain (None or "" by parser), not quoted
                and len(event.value) > MAX_NUMBER_CHARS
                and _NUMBER.fullmatch(event.value)
            ):
                where = _event_line(event)
                issues.add(where, "", f"a number longer than {MAX_NUMBER_CHARS} characters; quote it if it is text")
                return False
    except yaml.YAMLError:
        return True  # reported by load, with its line
    return True


def load(text: str, issues: Issues) -> Any:
    if not check_limits(text, issues):
        return None
    loader = _Loader(text)
    try:
        document = loader.get_single_data()  # type: ignore[no-untyped-call]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        issues.add(where, "", f"not valid YAML: {exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        issues.add("file", "", f"not valid YAML: {exc}")
        return None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    for line, name in loader.duplicates:
        issues.add(f"line {line}", name, f"the key '{name}' is given twice in the same block")
    return document


def parse(data: bytes, issues: Issues) -> ParsedFramework | None:
    text = decode_text(data, issues)
    if text is None:
        return None
    document = load(text, issues)
    if issues:
        return None
    if not isinstance(document, MarkedDict):
        issues.add("line 1", "", "a framework file is a mapping with 'framework' and 'requirements'")
        return None
    meta = _meta(document, issues)
    nodes: list[RequirementNode] = []
    requirements = document.get("requirements")
    if "requirements" not in document:
        issues.add(_line(document), "requirements", "the list of requirements is missing")
    elif not isinstance(requirements, list):
        issues.add(_line(document, "requirements"), "requirements", "must be a list of requirements")
    else:
        _walk(requirements, "", document.lines.get("requirements", 1), nodes, issues, 0)
    for extra in sorted(set(document) - {"framework", "requirements"}):
        issues.add(_line(document, extra), extra, "unknown top-level key (expected 'framework' and 'requirements')")
    validate_meta(meta, issues)
    validate_tree(nodes, issues)
    return ParsedFramework("yaml", meta, nodes)


def _meta(document: MarkedDict, issues: Issues) -> FrameworkMeta:
    meta = FrameworkMeta(location=_line(document))
    block = document.get("framework")
    if not isinstance(block, MarkedDict):
        where = _line(document, "framework") if "framework" in document else _line(document)
        issues.add(where, "framework", "a 'framework' block with key, name and version is required")
        return meta
    meta.location = _line(block)
    for name in META_FIELDS:
        meta.where[name] = _line(block, name) if name in block else _line(block)
        value = as_text(block.get(name))
        if value is None:
            issues.add(_line(block, name), name, "must be text")
            continue
        setattr(meta, name, value.strip())
    for extra in sorted(set(block) - set(META_FIELDS)):
        issues.add(_line(block, extra), extra, f"unknown framework field (allowed: {', '.join(META_FIELDS)})")
    return meta


def _walk(items: list[Any], parent: str, line: int, nodes: list[RequirementNode], issues: Issues, level: int) -> None:
    if level > MAX_NESTING:
        issues.add(f"line {line}", "children", f"nested deeper than {MAX_NESTING} levels")
        return
    for item in items:
        if not isinstance(item, MarkedDict):
            issues.add(f"line {line}", "requirements", "each requirement must be a mapping (ref_id, title, ...)")
            continue
        node = _node(item, parent, issues)
        nodes.append(node)
        children = item.get("children")
        if children is None:
            continue
        if not isinstance(children, list):
            issues.add(_line(item, "children"), "children", "must be a list of requirements")
            continue
        if children:
            node.is_section = node.is_section or "is_section" not in item
        _walk(children, node.ref_id, item.lines.get("children", item.line), nodes, issues, level + 1)


def _node(item: MarkedDict, parent: str, issues: Issues) -> RequirementNode:
    values: dict[str, str] = {}
    for name in NODE_TEXT_FIELDS:
        value = as_text(item.get(name))
        if value is None:
            issues.add(_line(item, name), name, "must be text")
            value = ""
        values[name] = value if name in ("text", "guidance") else value.strip()
    node = RequirementNode(
        ref_id=values["ref_id"],
        title=values["title"],
        reference=values["reference"],
        text=values["text"].strip("\n"),
        guidance=values["guidance"].strip("\n"),
        location=_line(item),
        where={name: _line(item, name) for name in item.lines},
    )
    explicit = values["parent"]
    if parent and explicit and explicit != parent:
        issues.add(_line(item, "parent"), "parent", f"says '{explicit}' but the item is nested under '{parent}'")
    node.parent_ref_id = parent or explicit
    flag = item.get("is_section", False)
    if not isinstance(flag, bool):
        issues.add(_line(item, "is_section"), "is_section", "must be true or false")
    else:
        node.is_section = flag
    read_status(node, as_text(item.get("status")), as_text(item.get("replaced_by")), issues)
    for extra in sorted(set(item) - NODE_FIELDS):
        issues.add(_line(item, extra), extra, f"unknown requirement field (allowed: {', '.join(sorted(NODE_FIELDS))})")
    return node
