"""Software inventories: dpkg, pip (inspect JSON or freeze text), npm lockfiles, CycloneDX.

Every parser returns an ``Inventory``: the ``InstalledPackage`` rows and ``notes`` on
what was skipped on purpose. Malformed input is refused *whole* with an
``InventoryError`` naming the line (text formats) or JSON path (JSON formats) and the
problem: a half-read inventory would silently hide packages.

Skipped with a note, not refused (each is a well-formed line that names no version
Rampart can match):

- pip freeze: ``-e``/``--editable`` lines and other ``-`` options, ``name @ url`` direct
  references; ``#`` comments and blank lines are skipped silently;
- npm lockfile: workspace folders (keys outside ``node_modules/``); the root ``""`` and
  ``link: true`` entries are skipped silently;
- CycloneDX: components without a package URL, of a type other than ``pypi``/``npm``/
  ``deb``, Debian components without a known release, or without a version (counted
  per reason).

Versions are *not* checked here (except dpkg's, which dpkg guarantees): an invalid PEP
440 or SemVer version is a row like any other, and matching reports it as not matched.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies.patching.ecosystems import DEBIAN, NPM, PYPI, debian_release
from policies.patching.purl import PurlError, make_purl, parse_purl
from policies.patching.versions import VersionError, debian_key

FORMATS = ("dpkg", "pip", "npm", "cyclonedx")
CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6")

_PEP508_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_FREEZE_LINE = re.compile(r"^(?P<name>[^=<>!~;\s\[]+)\s*===?\s*(?P<version>[^\s;#]+)$")
_DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    """One installed package. Debian rows also carry their source package and version,
    which is what Debian advisories name; other ecosystems leave them None."""

    ecosystem: str  # PyPI, npm, Debian:12
    name: str
    version: str
    source_name: str | None = None
    source_version: str | None = None
    purl: str | None = None

    @property
    def match_name(self) -> str:
        return self.source_name or self.name

    @property
    def match_version(self) -> str:
        return self.source_version or self.version


@dataclass(frozen=True, slots=True)
class Inventory:
    format: str
    packages: tuple[InstalledPackage, ...]
    notes: tuple[str, ...] = ()


class InventoryError(ValueError):
    """Malformed inventory: ``location`` is ``line N`` or a JSON path."""

    def __init__(self, format_name: str, location: str, problem: str) -> None:
        super().__init__(f"{format_name}: {location}: {problem}")
        self.format = format_name
        self.location = location
        self.problem = problem


def _text(data: bytes | str, format_name: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InventoryError(format_name, f"byte {error.start}", "not UTF-8 text") from None


def _json(data: bytes | str | Mapping[str, Any], format_name: str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    try:
        value = json.loads(_text(data, format_name))
    except json.JSONDecodeError as error:
        location = f"line {error.lineno} column {error.colno}"
        raise InventoryError(format_name, location, f"invalid JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise InventoryError(format_name, "$", f"expected an object, got {type(value).__name__}")
    return value


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, line.rstrip("\r")


def debian_ecosystem(release: str) -> str:
    """``12``, ``bookworm``, ``debian:12`` or ``Debian:12.5`` -> ``Debian:12``; ValueError otherwise."""
    text = release.strip()
    if ":" in text:
        base, _, text = text.partition(":")
        if base.strip().lower() != "debian":
            raise ValueError(f"not a Debian release: {release!r}")
    number = debian_release(text.removeprefix("debian-"))
    if number is None:
        raise ValueError(f"unknown Debian release {release!r} (a number or one of the known codenames)")
    return f"{DEBIAN}:{number}"


# -- dpkg -----------------------------------------------------------------------------------


def parse_dpkg(data: bytes | str, release: str) -> Inventory:
    r"""``dpkg-query -W -f='${binary:Package}\t${Version}\t${source:Package}\t${source:Version}\n'``.

    ``binary:Package`` may carry an architecture (``libc6:amd64``), which is dropped; an
    empty source column means the source is named like the binary (or has its version).
    """
    ecosystem = debian_ecosystem(release)
    packages = []
    for number, line in _lines(_text(data, "dpkg")):
        if not line.strip():
            continue
        where = f"line {number}"
        columns = line.split("\t")
        if len(columns) != 4:
            raise InventoryError("dpkg", where, f"expected 4 tab-separated columns, got {len(columns)}")
        binary, version, source, source_version = (column.strip() for column in columns)
        name = binary.partition(":")[0]
        for label, value in (("package", name), ("source package", source or name)):
            if not _DEBIAN_NAME.match(value):
                raise InventoryError("dpkg", where, f"invalid {label} name {value!r}")
        for label, value in (("version", version), ("source version", source_version or version)):
            try:
                debian_key(value)
            except VersionError as error:
                raise InventoryError("dpkg", where, f"{label}: {error.problem} ({value!r})") from None
        packages.append(
            InstalledPackage(
                ecosystem,
                name,
                version,
                source or name,
                source_version or version,
                make_purl("deb", name, version, "debian", distro=f"debian-{ecosystem.partition(':')[2]}"),
            )
        )
    return Inventory("dpkg", tuple(packages))


# -- pip ------------------------------------------------------------------------------------


def _pypi(name: str, version: str) -> InstalledPackage:
    return InstalledPackage(PYPI, name, version, purl=make_purl("pypi", name.lower().replace("_", "-"), version))


def parse_pip_inspect(data: bytes | str | Mapping[str, Any]) -> Inventory:
    """``pip inspect`` JSON: ``installed[].metadata.name`` and ``.version``."""
    document = _json(data, "pip")
    installed = document.get("installed")
    if not isinstance(installed, list):
        raise InventoryError("pip", "$.installed", "expected an array of installed distributions")
    packages = []
    for index, item in enumerate(installed):
        path = f"$.installed[{index}]"
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict):
            raise InventoryError("pip", f"{path}.metadata", "expected an object")
        fields = {}
        for key in ("name", "version"):
            value = metadata.get(key)
            if not isinstance(value, str) or not value.strip():
                raise InventoryError("pip", f"{path}.metadata.{key}", "expected a non-empty string")
            fields[key] = value.strip()
        if not _PEP508_NAME.match(fields["name"]):
            raise InventoryError("pip", f"{path}.metadata.name", f"invalid distribution name {fields['name']!r}")
        packages.append(_pypi(fields["name"], fields["version"]))
    return Inventory("pip", tuple(packages))


def parse_pip_freeze(data: bytes | str) -> Inventory:
    """``pip freeze`` text: ``name==version`` lines (``===`` too); see the module doc for skips."""
    packages = []
    notes = []
    for number, raw in _lines(_text(data, "pip")):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            kind = "editable install" if line.startswith(("-e", "--editable")) else "option"
            notes.append(f"line {number}: {kind} skipped ({line[:80]})")
            continue
        name, at, _url = line.partition(" @ ")
        if at and _PEP508_NAME.match(name.strip()):
            notes.append(f"line {number}: {name.strip()} is a direct URL reference with no version; skipped")
            continue
        match = _FREEZE_LINE.match(line)
        if match is None or not _PEP508_NAME.match(match["name"]):
            raise InventoryError("pip", f"line {number}", f"expected 'name==version', got {line[:80]!r}")
        packages.append(_pypi(match["name"], match["version"]))
    return Inventory("pip", tuple(packages), tuple(notes))


def parse_pip(data: bytes | str) -> Inventory:
    """``pip inspect`` JSON or ``pip freeze`` text, whichever ``data`` is."""
    text = _text(data, "pip")
    return parse_pip_inspect(text) if text.lstrip().startswith("{") else parse_pip_freeze(text)


# -- npm ------------------------------------------------------------------------------------


def parse_npm_lock(data: bytes | str | Mapping[str, Any]) -> Inventory:
    """``package-lock.json`` with ``lockfileVersion`` 2 or 3 (the ``packages`` map)."""
    document = _json(data, "npm")
    lockfile_version = document.get("lockfileVersion")
    if lockfile_version not in (2, 3):
        problem = f"lockfileVersion {lockfile_version!r} is not supported (2 or 3; regenerate with npm 7 or later)"
        raise InventoryError("npm", "$.lockfileVersion", problem)
    entries = document.get("packages")
    if not isinstance(entries, dict):
        raise InventoryError("npm", "$.packages", "expected an object")
    packages = []
    notes = []
    for key, entry in entries.items():
        path = f"$.packages[{json.dumps(key)}]"
        if not isinstance(entry, dict):
            raise InventoryError("npm", path, "expected an object")
        if key == "" or entry.get("link") is True:
            continue
        if "node_modules/" not in key:
            notes.append(f"{path}: workspace folder skipped (the project's own code)")
            continue
        name = entry.get("name", key.rsplit("node_modules/", 1)[1])
        version = entry.get("version")
        if not isinstance(name, str) or not name.strip():
            raise InventoryError("npm", f"{path}.name", "expected a non-empty package name")
        if not isinstance(version, str) or not version.strip():
            raise InventoryError("npm", f"{path}.version", "expected a non-empty version string")
        scope, slash, bare = name.strip().rpartition("/")
        purl = make_purl("npm", bare, version.strip(), scope if slash else None)
        packages.append(InstalledPackage(NPM, name.strip(), version.strip(), purl=purl))
    return Inventory("npm", tuple(packages), tuple(notes))


# -- CycloneDX ------------------------------------------------------------------------------


def _components(value: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if value is None:
        return
    if not isinstance(value, list):
        raise InventoryError("cyclonedx", path, "expected an array of components")
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise InventoryError("cyclonedx", item_path, "expected a component object")
        yield item_path, item
        yield from _components(item.get("components"), f"{item_path}.components")


def parse_cyclonedx(data: bytes | str | Mapping[str, Any], debian_release: str | None = None) -> Inventory:
    """CycloneDX JSON (spec 1.4-1.6): every ``components[]`` entry, nested ones too, by purl.

    Debian components take their release from the purl's ``distro`` qualifier
    (``debian-12``, ``bookworm``), else from ``debian_release``; their source package from
    the ``upstream`` qualifier (``openssl`` or ``shadow@1:4.13+dfsg1-1``).
    """
    document = _json(data, "cyclonedx")
    if document.get("bomFormat") != "CycloneDX":
        raise InventoryError("cyclonedx", "$.bomFormat", f"expected 'CycloneDX', got {document.get('bomFormat')!r}")
    spec = document.get("specVersion")
    if spec not in CYCLONEDX_VERSIONS:
        supported = ", ".join(CYCLONEDX_VERSIONS)
        raise InventoryError("cyclonedx", "$.specVersion", f"{spec!r} is not supported ({supported})")
    fallback = debian_ecosystem(debian_release) if debian_release else None
    packages = []
    skipped: Counter[str] = Counter()
    for path, component in _components(document.get("components"), "$.components"):
        purl_text = component.get("purl")
        if purl_text is None:
            skipped["without a package URL"] += 1
            continue
        if not isinstance(purl_text, str):
            raise InventoryError("cyclonedx", f"{path}.purl", "expected a string")
        try:
            purl = parse_purl(purl_text)
        except PurlError as error:
            raise InventoryError("cyclonedx", f"{path}.purl", str(error)) from None
        version = purl.version or component.get("version")
        if not isinstance(version, str) or not version.strip():
            skipped["without a version"] += 1
            continue
        version = version.strip()
        if purl.type == "pypi":
            packages.append(InstalledPackage(PYPI, purl.name, version, purl=purl_text))
        elif purl.type == "npm":
            name = f"{purl.namespace}/{purl.name}" if purl.namespace else purl.name
            packages.append(InstalledPackage(NPM, name, version, purl=purl_text))
        elif purl.type == "deb" and (purl.namespace or "debian").lower() == "debian":
            distro = purl.qualifiers.get("distro")
            try:
                ecosystem = debian_ecosystem(distro) if distro else fallback
            except ValueError:
                ecosystem = None
            if ecosystem is None:
                skipped["of a Debian release that is not given or not known"] += 1
                continue
            source, _, source_version = purl.qualifiers.get("upstream", "").partition("@")
            row = InstalledPackage(
                ecosystem, purl.name, version, source or purl.name, source_version or version, purl_text
            )
            packages.append(row)
        else:
            namespace = f"/{purl.namespace}" if purl.type == "deb" else ""
            skipped[f"of type {purl.type}{namespace}"] += 1
    notes = tuple(f"{count} component(s) {reason} skipped" for reason, count in sorted(skipped.items()))
    return Inventory("cyclonedx", tuple(packages), notes)


# -- detection ------------------------------------------------------------------------------


def detect_format(data: bytes) -> str:
    """``dpkg``, ``pip`` (inspect JSON or freeze text), ``npm`` or ``cyclonedx``; InventoryError if none fits."""
    text = _text(data, "inventory")
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise InventoryError("inventory", f"line {error.lineno} column {error.colno}", "invalid JSON") from None
        if isinstance(document, dict):
            if document.get("bomFormat") == "CycloneDX":
                return "cyclonedx"
            if "lockfileVersion" in document:
                return "npm"
            if "installed" in document:
                return "pip"
        raise InventoryError("inventory", "$", "JSON that is neither CycloneDX, a package-lock.json nor pip inspect")
    for number, line in _lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line.count("\t") == 3:
            return "dpkg"
        if stripped.startswith("-") or "==" in stripped or " @ " in stripped:
            return "pip"
        raise InventoryError("inventory", f"line {number}", "neither dpkg-query output nor pip freeze")
    raise InventoryError("inventory", "line 1", "empty inventory")


def parse_inventory(data: bytes, *, format_name: str | None = None, debian_release: str | None = None) -> Inventory:
    """Parse ``data`` in ``format_name`` (detected when None). dpkg needs ``debian_release``."""
    chosen = format_name or detect_format(data)
    if chosen == "dpkg":
        if not debian_release:
            raise ValueError("a dpkg inventory needs its Debian release (e.g. 'debian:12')")
        return parse_dpkg(data, debian_release)
    if chosen == "pip":
        return parse_pip(data)
    if chosen == "npm":
        return parse_npm_lock(data)
    if chosen == "cyclonedx":
        return parse_cyclonedx(data, debian_release)
    raise ValueError(f"unknown inventory format {chosen!r} (one of {', '.join(FORMATS)})")
