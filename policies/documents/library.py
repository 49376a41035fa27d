"""The shipped starter library: Markdown files with a small front matter, in ``policies/library/``.

A file starts with a block between two ``---`` lines of ``name: value`` pairs (YAML)::

    ---
    key: access-control            # stable: loading again never makes a second policy
    title: Access control policy
    summary: Who may reach which system, and how access is granted and removed.
    review_cycle_months: 12
    audience: [Employee]           # role names
    controls: [CTL-001]            # control refs, linked when they exist
    ---
    # Access control policy
    ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"
FENCE = "---"


class LibraryFormatError(ValueError):
    """A library file is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class LibraryPolicy:
    key: str
    title: str
    summary: str
    body: str
    review_cycle_months: int = 12
    audience: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    source: str = ""


def _strings(value: object, name: str, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LibraryFormatError(f"{where}: '{name}' must be a list of names.")
    return value


def parse_library_file(text: str, *, source: str = "") -> LibraryPolicy:
    where = source or "policy file"
    lines = text.splitlines()
    if not lines or lines[0].strip() != FENCE:
        raise LibraryFormatError(f"{where}: the file must start with a '---' line opening its front matter.")
    try:
        end = next(n for n, line in enumerate(lines[1:], start=1) if line.strip() == FENCE)
    except StopIteration:
        raise LibraryFormatError(f"{where}: the front matter has no closing '---' line.") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        raise LibraryFormatError(f"{where}: the front matter is not valid YAML ({exc}).") from None
    if not isinstance(meta, dict):
        raise LibraryFormatError(f"{where}: the front matter must be 'name: value' lines.")
    for name in ("key", "title"):
        if not isinstance(meta.get(name), str) or not meta[name].strip():
            raise LibraryFormatError(f"{where}: '{name}' is required.")
    cycle = meta.get("review_cycle_months", 12)
    if isinstance(cycle, bool) or not isinstance(cycle, int) or not 1 <= cycle <= 60:
        raise LibraryFormatError(f"{where}: 'review_cycle_months' must be a whole number from 1 to 60.")
    body = "\n".join(lines[end + 1 :]).strip() + "\n"
    if not body.strip():
        raise LibraryFormatError(f"{where}: the policy has no text after its front matter.")
    return LibraryPolicy(
        key=meta["key"].strip(),
        title=meta["title"].strip(),
        summary=str(meta.get("summary") or "").strip(),
        body=body,
        review_cycle_months=cycle,
        audience=_strings(meta.get("audience"), "audience", where),
        controls=_strings(meta.get("controls"), "controls", where),
        source=source,
    )


def read_library(directory: Path = LIBRARY_DIR) -> list[LibraryPolicy]:
    """Every ``*.md`` of ``directory``, in file-name order."""
    return [parse_library_file(p.read_text(encoding="utf-8"), source=p.name) for p in sorted(directory.glob("*.md"))]
