"""The Debian security tracker's JSON as advisories.

The tracker publishes one object (https://security-tracker.debian.org/tracker/data/json)::

    {source_package: {CVE-ID: {"description", "scope", "debianbug",
                               "releases": {codename: {"status", "fixed_version",
                                                       "urgency", "repositories"}}}}}

Each CVE (or ``TEMP-...`` id) becomes one ``Advisory`` (id = the CVE, so it merges with
GHSA/PYSEC/DSA records naming it) with one ``Affected`` entry per (source package,
release), ecosystem ``Debian:<number>`` from the codename (``DEBIAN_RELEASES``;
releases without a number, like ``sid``, are left out):

- ``resolved`` with ``fixed_version`` ``"0"``: the release was never affected, no entry;
- ``resolved`` with a fixed version ``X``: events ``introduced 0``, ``fixed X``;
- ``open``: ``introduced 0``, plus ``fixed X`` if the tracker already names a fix;
- ``undetermined``: treated as ``open`` (a compliance tool would rather ask than miss);
  pass ``include_undetermined=False`` to leave those out.

The urgency (``low``, ``medium``, ``high``, ``unimportant``, ``not yet assigned``, with
an occasional ``**``) is kept in ``ecosystem_specific["urgency"]`` and gives the
entry's severity hint (``severity.level_from_word``); the advisory's level is the worst
of its entries'.

The whole document is decoded at once (it is one JSON object, tens of MB); parse it in a
background job, not in a request.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from policies.patching.advisories import (
    FIXED,
    INTRODUCED,
    Advisory,
    Affected,
    Event,
    Package,
    Range,
    advisory_severity,
)
from policies.patching.ecosystems import DEBIAN, DEBIAN_RELEASES
from policies.patching.osv import OSVFormatError

STATUSES = ("resolved", "open", "undetermined")


class DebianTrackerError(OSVFormatError):
    """A malformed tracker document: source, JSON path and the problem."""


def _key(path: str, key: str) -> str:
    return f"{path}[{json.dumps(key)}]"


def _object(source: str, value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DebianTrackerError(source, path, f"expected an object, got {type(value).__name__}")
    return value


def _optional_string(source: str, obj: Mapping[str, Any], key: str, path: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DebianTrackerError(source, f"{path}.{key}", f"expected a string, got {type(value).__name__}")
    return value.strip()


def _release_entry(
    source: str,
    package: str,
    codename: str,
    data: Any,
    path: str,
    releases: Mapping[str, str],
    include_undetermined: bool,
) -> Affected | None:
    entry = _object(source, data, path)
    status = _optional_string(source, entry, "status", path)
    if status not in STATUSES:
        raise DebianTrackerError(source, f"{path}.status", f"expected one of {', '.join(STATUSES)}, got {status!r}")
    fixed = _optional_string(source, entry, "fixed_version", path)
    urgency = _optional_string(source, entry, "urgency", path)
    repositories = entry.get("repositories", {})
    _object(source, repositories, f"{path}.repositories")
    number = releases.get(codename)
    if number is None:
        return None  # sid, experimental, or a release older than the map
    if fixed == "0" or (status == "undetermined" and not include_undetermined):
        return None
    if status == "resolved" and not fixed:
        raise DebianTrackerError(source, f"{path}.fixed_version", "a resolved issue needs a fixed version")
    events = [Event(INTRODUCED, "0")]
    if fixed:
        events.append(Event(FIXED, fixed))
    specific: dict[str, Any] = {"status": status, "release": codename, "repositories": dict(repositories)}
    if urgency:
        specific["urgency"] = urgency
    return Affected(
        package=Package(f"{DEBIAN}:{number}", package, f"pkg:deb/debian/{package}?arch=source"),
        ranges=(Range("ECOSYSTEM", tuple(events)),),
        ecosystem_specific=specific,
    )


def parse_debian_tracker(
    data: Mapping[str, Any] | str | bytes | os.PathLike[str],
    *,
    source: str = "debian-security-tracker.json",
    releases: Mapping[str, str] = DEBIAN_RELEASES,
    include_undetermined: bool = True,
) -> list[Advisory]:
    """Advisories (one per CVE, in order of first appearance) from the tracker's JSON.

    ``data`` is the decoded document, its JSON text, or a path to the file. Raises
    ``DebianTrackerError`` naming the JSON path of the first malformed part.
    """
    if isinstance(data, os.PathLike):
        source = str(data)
        data = Path(data).read_bytes()
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            problem = f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            raise DebianTrackerError(source, "$", problem) from None
    document = _object(source, data, "$")
    found: dict[str, tuple[dict[str, Any], list[Affected]]] = {}
    for package, issues in document.items():
        package_path = _key("$", package)
        for issue_id, issue_data in _object(source, issues, package_path).items():
            issue_path = _key(package_path, issue_id)
            issue = _object(source, issue_data, issue_path)
            meta, affected = found.setdefault(issue_id, ({}, []))
            description = _optional_string(source, issue, "description", issue_path)
            if description and "description" not in meta:
                meta["description"] = description
            scope = _optional_string(source, issue, "scope", issue_path)
            if scope:
                meta.setdefault("scope", {})[package] = scope
            if issue.get("debianbug") is not None:
                meta.setdefault("debianbug", {})[package] = issue["debianbug"]
            releases_path = f"{issue_path}.releases"
            for codename, entry in _object(source, issue.get("releases", {}), releases_path).items():
                made = _release_entry(
                    source, package, codename, entry, _key(releases_path, codename), releases, include_undetermined
                )
                if made is not None:
                    affected.append(made)
    advisories = []
    for issue_id, (meta, affected) in found.items():
        entries = tuple(affected)
        database_specific: dict[str, Any] = {key: meta[key] for key in ("scope", "debianbug") if key in meta}
        advisories.append(
            Advisory(
                id=issue_id,
                modified=None,
                summary=meta.get("description", ""),
                affected=entries,
                database_specific=database_specific,
                severity=advisory_severity((), {}, entries),
                source=source,
            )
        )
    return advisories
