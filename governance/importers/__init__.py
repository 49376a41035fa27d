"""Framework importers: Rampart YAML, Rampart CSV and OSCAL catalog JSON.

``parse_framework`` reads and validates a whole file and returns the common form
(``ParsedFramework``), or raises ``FrameworkImportError`` listing every problem.
Nothing here touches the database; ``governance.services.frameworks`` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from governance.importers import csv_format, oscal, yaml_format
from governance.importers.base import (
    FrameworkImportError,
    FrameworkMeta,
    ImportIssue,
    Issues,
    ParsedFramework,
    RequirementNode,
)

__all__ = [
    "FORMATS",
    "FrameworkImportError",
    "FrameworkMeta",
    "ImportIssue",
    "ParsedFramework",
    "RequirementNode",
    "detect_format",
    "parse_framework",
]

Parser = Callable[[bytes, Issues], ParsedFramework | None]
PARSERS: dict[str, Parser] = {"yaml": yaml_format.parse, "csv": csv_format.parse, "oscal": oscal.parse}
FORMATS = {"yaml": "Rampart YAML", "csv": "Rampart CSV", "oscal": "OSCAL catalog (JSON)"}
EXTENSIONS = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".json": "oscal"}
ALIASES = {"yml": "yaml", "json": "oscal"}


def detect_format(data: bytes, filename: str = "") -> str:
    """The format named by the file's extension, else guessed from its first characters."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return "oscal"
    first_line = head.split(b"\n", 1)[0].lower()
    if b"," in first_line and b"ref_id" in first_line:
        return "csv"
    return "yaml"


def parse_framework(data: bytes, *, filename: str = "", fmt: str | None = None) -> ParsedFramework:
    """Read and validate the whole file; raise ``FrameworkImportError`` with every problem found."""
    issues = Issues()
    name = (fmt or "").strip().lower()
    name = ALIASES.get(name, name) or detect_format(data, filename)
    parser = PARSERS.get(name)
    if parser is None:
        issues.add("file", "format", f"unknown format '{fmt}' (use yaml, csv or oscal)")
        issues.raise_if_any()
        raise AssertionError("unreachable")
    parsed = parser(data, issues)
    issues.raise_if_any()
    if parsed is None:  # a parser that stopped early always leaves an issue
        raise FrameworkImportError([ImportIssue("file", "", "the file could not be read")])
    return parsed
