"""OSCAL catalogs (JSON) read into Rampart's framework form.

Mapping (see docs/framework-format.md):

- ``metadata.title`` / ``version`` / ``remarks`` -> framework name / version / description;
  the key is a ``rampart-key`` prop of the metadata, else the title made into a slug.
- ``groups`` (nested) -> section requirements, ``ref_id`` = the group's ``id``.
- ``controls`` -> requirements, ``ref_id`` = the control's ``id``; nested ``controls``
  (enhancements) become their children.
- the ``label`` prop -> ``reference``; ``statement`` parts -> ``text``; other parts,
  the parameters, the control ``class`` and a ``status`` prop -> ``guidance``.
  Parameter inserts in prose (``{{ insert: param, id }}``) are written out readably.
- a ``status`` prop of ``withdrawn`` makes a withdrawn requirement: imported with its
  text, marked removed, so it never counts in coverage; its ``incorporated-into`` and
  ``moved-to`` links are written into ``guidance``.

Errors name the JSON path of the value, e.g. ``$.catalog.groups[0].controls[3].id``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify

from core.limits import json_depth_exceeds
from governance.importers.base import (
    META_MAX_LENGTHS,
    FrameworkMeta,
    Issues,
    ParsedFramework,
    RequirementNode,
    decode_text,
    validate_meta,
    validate_tree,
)
from governance.models import withdrawn_note

# Checked before parsing: a group or control level is two JSON levels, parts nest a few more.
MAX_JSON_DEPTH = 2 * 50 + 30
MAX_NUMBER_CHARS = 100


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number longer than {MAX_NUMBER_CHARS} digits; an OSCAL catalog has none")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number longer than {MAX_NUMBER_CHARS} characters; an OSCAL catalog has none")
    return float(text)


INSERT = re.compile(r"\{\{\s*insert:\s*param,\s*([^\s}]+)\s*\}\}")
KEY_PROP = "rampart-key"
MAX_NESTING = 50
NAMES = {"ref_id": "id", "title": "title", "reference": "props"}
WITHDRAWN = "withdrawn"
# Links of a withdrawn control that say where its content went, in the order they are shown.
SUCCESSOR_LINKS = {"incorporated-into": "Incorporated into", "moved-to": "Moved to"}


@dataclass
class _Walk:
    issues: Issues
    nodes: list[RequirementNode] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Text of nodes is rendered once every parameter of the catalog is known.
    pending: list[tuple[RequirementNode, dict[str, Any], str]] = field(default_factory=list)


def parse(data: bytes, issues: Issues) -> ParsedFramework | None:
    text = decode_text(data, issues)
    if text is None:
        return None
    if json_depth_exceeds(data, MAX_JSON_DEPTH):
        issues.add("file", "", f"nested deeper than {MAX_JSON_DEPTH} levels; an OSCAL catalog never is")
        return None
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float)
    except json.JSONDecodeError as exc:
        issues.add(f"line {exc.lineno}, column {exc.colno}", "", f"not valid JSON: {exc.msg}")
        return None
    except ValueError as exc:  # a number past the limit (_bounded_int)
        issues.add("file", "", str(exc))
        return None
    if not isinstance(document, dict) or not isinstance(document.get("catalog"), dict):
        issues.add("$.catalog", "catalog", "not an OSCAL catalog: the top-level 'catalog' object is missing")
        return None
    catalog = document["catalog"]
    meta = _meta(catalog, issues)
    walk = _Walk(issues)
    _children(catalog, "$.catalog", "", walk, 0)
    labels = {node.ref_id: node.reference for node in walk.nodes if node.ref_id}
    for node, item, path in walk.pending:
        _render(node, item, path, walk, labels)
    validate_meta(meta, issues)
    validate_tree(walk.nodes, issues)
    return ParsedFramework("oscal", meta, walk.nodes)


def _meta(catalog: dict[str, Any], issues: Issues) -> FrameworkMeta:
    meta = FrameworkMeta(location="$.catalog.metadata")
    metadata = catalog.get("metadata")
    if not isinstance(metadata, dict):
        issues.add("$.catalog.metadata", "metadata", "the catalog's metadata object is missing")
        return meta
    for name, source in (("name", "title"), ("version", "version"), ("description", "remarks")):
        meta.where[name] = f"$.catalog.metadata.{source}"
        value = metadata.get(source, "")
        if not isinstance(value, str):
            issues.add(meta.where[name], source, "must be a string")
            continue
        setattr(meta, name, value.strip())
    meta.publisher = _publisher(metadata)[: META_MAX_LENGTHS["publisher"]]
    props = _props(metadata, "$.catalog.metadata", issues)
    meta.where["key"] = "$.catalog.metadata.props" if KEY_PROP in props else "$.catalog.metadata.title"
    meta.key = props.get(KEY_PROP) or slugify(meta.name)[: META_MAX_LENGTHS["key"]].strip("-")
    return meta


def _publisher(metadata: dict[str, Any]) -> str:
    parties = metadata.get("parties")
    if isinstance(parties, list):
        for party in parties:
            if isinstance(party, dict) and isinstance(party.get("name"), str):
                return party["name"].strip()
    return ""


def _props(item: dict[str, Any], path: str, issues: Issues) -> dict[str, str]:
    """``name -> value`` of an item's props (the first of each name)."""
    raw = item.get("props", [])
    found: dict[str, str] = {}
    if not isinstance(raw, list):
        issues.add(f"{path}.props", "props", "must be a list")
        return found
    for index, prop in enumerate(raw):
        here = f"{path}.props[{index}]"
        if not isinstance(prop, dict):
            issues.add(here, "props", "must be an object with name and value")
            continue
        name, value = prop.get("name"), prop.get("value")
        if not isinstance(name, str) or not name:
            issues.add(f"{here}.name", "name", "must be a non-empty string")
        elif not isinstance(value, str):
            issues.add(f"{here}.value", "value", "must be a string")
        else:
            found.setdefault(name, value)
    return found


def _list(item: dict[str, Any], name: str, path: str, issues: Issues) -> list[Any]:
    value = item.get(name, [])
    if not isinstance(value, list):
        issues.add(f"{path}.{name}", name, "must be a list")
        return []
    return value


def _children(item: dict[str, Any], path: str, parent: str, walk: _Walk, level: int) -> None:
    if level > MAX_NESTING:
        walk.issues.add(path, "groups", f"nested deeper than {MAX_NESTING} levels")
        return
    for kind in ("groups", "controls"):
        for index, child in enumerate(_list(item, kind, path, walk.issues)):
            here = f"{path}.{kind}[{index}]"
            if not isinstance(child, dict):
                walk.issues.add(here, kind, "must be an object")
                continue
            node = _node(child, here, parent, kind == "groups", walk)
            _children(child, here, node.ref_id, walk, level + 1)


def _node(item: dict[str, Any], path: str, parent: str, is_group: bool, walk: _Walk) -> RequirementNode:
    issues = walk.issues
    props = _props(item, path, issues)
    ref_id = item.get("id", "")
    if not isinstance(ref_id, str):
        issues.add(f"{path}.id", "id", "must be a string")
        ref_id = ""
    if is_group and not ref_id:
        # OSCAL lets groups go without an id; the label is the next most stable name.
        ref_id = props.get("label", "")
        if not ref_id:
            issues.add(f"{path}.id", "id", "a group needs an id (or a label prop) to be re-importable")
    title = item.get("title", "")
    if not isinstance(title, str):
        issues.add(f"{path}.title", "title", "must be a string")
        title = ""
    node = RequirementNode(
        ref_id=ref_id.strip(),
        title=" ".join(title.split()),
        parent_ref_id=parent,
        reference=props.get("label", "").strip(),
        is_section=is_group,
        withdrawn=props.get("status", "").strip().lower() == WITHDRAWN,
        location=path,
        where={"ref_id": f"{path}.id", "title": f"{path}.title", "reference": f"{path}.props"},
        names=dict(NAMES),
    )
    for index, param in enumerate(_list(item, "params", path, issues)):
        here = f"{path}.params[{index}]"
        if not isinstance(param, dict) or not isinstance(param.get("id"), str) or not param["id"]:
            issues.add(f"{here}.id", "id", "a parameter needs a string id")
            continue
        walk.params[param["id"]] = param
    walk.nodes.append(node)
    walk.pending.append((node, item, path))
    return node


def _render(node: RequirementNode, item: dict[str, Any], path: str, walk: _Walk, labels: dict[str, str]) -> None:
    """Statement parts into ``text``; other parts, parameters, class and status into ``guidance``."""
    statement: list[str] = []
    other: list[str] = _withdrawn_lines(item, path, labels) if node.withdrawn else []
    _check_links(item, path, walk.issues)
    for index, part in enumerate(_list(item, "parts", path, walk.issues)):
        here = f"{path}.parts[{index}]"
        if not isinstance(part, dict):
            walk.issues.add(here, "parts", "must be an object")
            continue
        name = part.get("name")
        if not isinstance(name, str) or not name:
            walk.issues.add(f"{here}.name", "name", "a part needs a name (e.g. statement, guidance)")
            continue
        lines = _part_lines(part, here, walk, 0)
        if name in ("statement", "item"):
            statement.extend(lines)
        else:
            heading = part.get("title") if isinstance(part.get("title"), str) else name.replace("_", " ").capitalize()
            other.append(f"{heading}:")
            other.extend(f"  {line}" if line else "" for line in lines)
    params = [p for p in _list(item, "params", path, Issues()) if isinstance(p, dict) and p.get("id")]
    if params:
        other.append("Parameters:")
        other.extend(f"  - {p['id']}: {_describe_param(p, walk, 0)}" for p in params)
    control_class = item.get("class")
    if isinstance(control_class, str) and control_class:
        other.append(f"Class: {control_class}")
    status = _props(item, path, Issues()).get("status")
    if status:
        other.append(f"Status: {status}")
    node.text = "\n".join(statement).strip()
    node.guidance = "\n".join(other).strip()


def _check_links(item: dict[str, Any], path: str, issues: Issues) -> None:
    """OSCAL links need an ``href`` (and a ``rel`` that is text, when given)."""
    for index, link in enumerate(_list(item, "links", path, issues)):
        here = f"{path}.links[{index}]"
        if not isinstance(link, dict):
            issues.add(here, "links", "must be an object with an href")
        elif not isinstance(link.get("href"), str) or not link["href"].strip():
            issues.add(f"{here}.href", "href", "a link needs an href (e.g. '#ac-2')")
        elif not isinstance(link.get("rel", ""), str):
            issues.add(f"{here}.rel", "rel", "must be a string")


def _withdrawn_lines(item: dict[str, Any], path: str, labels: dict[str, str]) -> list[str]:
    """Why the requirement is gone, and where its content went (by label when the catalog has it)."""
    lines = [withdrawn_note("control")]
    successors: dict[str, list[str]] = {rel: [] for rel in SUCCESSOR_LINKS}
    for link in _list(item, "links", path, Issues()):
        if not isinstance(link, dict) or link.get("rel") not in successors or not isinstance(link.get("href"), str):
            continue
        href = link["href"].strip()
        target = href[1:] if href.startswith("#") else href
        successors[link["rel"]].append(labels.get(target) or target)
    for rel, heading in SUCCESSOR_LINKS.items():
        if successors[rel]:
            lines.append(f"{heading}: {', '.join(successors[rel])}")
    return lines


def _part_lines(part: dict[str, Any], path: str, walk: _Walk, level: int) -> list[str]:
    if level > MAX_NESTING:
        return []
    lines: list[str] = []
    label = _props(part, path, walk.issues).get("label", "")
    prose = part.get("prose", "")
    if not isinstance(prose, str):
        walk.issues.add(f"{path}.prose", "prose", "must be a string")
        prose = ""
    title = part.get("title") if level and isinstance(part.get("title"), str) else ""
    first = " ".join(x for x in (label, title) if x)
    text = _insert_params(prose.strip(), walk)
    if text:
        paragraphs = text.split("\n")
        paragraphs[0] = f"{first} {paragraphs[0]}".strip()
        lines.extend(paragraphs)
    elif first:
        lines.append(first)
    for index, sub in enumerate(_list(part, "parts", path, walk.issues)):
        here = f"{path}.parts[{index}]"
        if not isinstance(sub, dict):
            walk.issues.add(here, "parts", "must be an object")
            continue
        lines.extend(f"  {line}" if line else "" for line in _part_lines(sub, here, walk, level + 1))
    return lines


def _insert_params(text: str, walk: _Walk, level: int = 0) -> str:
    def replace(match: re.Match[str]) -> str:
        param = walk.params.get(match.group(1))
        if param is None or level > 3:
            return f"[{match.group(1)}]"
        return f"[{_describe_param(param, walk, level + 1)}]"

    return INSERT.sub(replace, text)


def _describe_param(param: dict[str, Any], walk: _Walk, level: int) -> str:
    """``Assignment: a duration`` or ``Selection (one or more): a; b``, like the NIST rendering."""
    values = param.get("values")
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return "; ".join(values)
    select = param.get("select")
    if isinstance(select, dict):
        choices = [c for c in select.get("choice", []) if isinstance(c, str)]
        how = select.get("how-many")
        kind = "Selection (one or more)" if how == "one-or-more" else "Selection"
        return f"{kind}: " + "; ".join(_insert_params(c, walk, level) for c in choices)
    label = param.get("label")
    if isinstance(label, str) and label:
        return f"Assignment: {_insert_params(label, walk, level)}"
    return f"Assignment: {param.get('id', 'value')}"
