"""Ecosystem names and package-name normalisation.

Ecosystems are spelled the OSV way: ``PyPI``, ``npm``, ``Debian:12`` (``Debian`` with
the numeric release after a colon). ``normalize_ecosystem`` accepts any case and a
Debian codename or point release (``debian:bookworm``, ``debian-12.5`` is handled by
the CycloneDX parser) and returns that spelling; ecosystems this engine does not know
are kept as given, so their advisories still load (and match through ``versions`` lists).

The functions are pure and cached: matching calls them for every installed row.
"""

from __future__ import annotations

import functools
import re

from packaging.utils import canonicalize_name

PYPI = "PyPI"
NPM = "npm"
DEBIAN = "Debian"

#: Debian codename -> numeric release, as OSV's ``Debian:<release>`` uses it.
DEBIAN_RELEASES: dict[str, str] = {
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
}

_KNOWN_BASES = {"pypi": PYPI, "npm": NPM, "debian": DEBIAN}
_POINT_RELEASE = re.compile(r"^(\d+)(?:\.\d+)*$")


def debian_release(value: str) -> str | None:
    """The numeric Debian release for ``12``, ``12.5`` or ``bookworm``; None if unknown."""
    text = value.strip().lower()
    if text in DEBIAN_RELEASES:
        return DEBIAN_RELEASES[text]
    match = _POINT_RELEASE.match(text)
    return match.group(1) if match else None


@functools.lru_cache(maxsize=1 << 16)
def normalize_ecosystem(value: str) -> str:
    """``pypi`` -> ``PyPI``, ``debian:bookworm`` -> ``Debian:12``; others unchanged (trimmed)."""
    base, sep, release = value.strip().partition(":")
    canonical = _KNOWN_BASES.get(base.lower(), base)
    if not sep:
        return canonical
    if canonical == DEBIAN:
        release = debian_release(release) or release.strip().lower()
    return f"{canonical}:{release}"


@functools.lru_cache(maxsize=1 << 16)
def base_ecosystem(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``; ``PyPI`` -> ``PyPI``."""
    return normalize_ecosystem(ecosystem).partition(":")[0]


@functools.lru_cache(maxsize=1 << 16)
def normalize_name(ecosystem: str, name: str) -> str:
    """The name used to index and match packages.

    PyPI names follow PEP 503 (``Foo_Bar.baz`` -> ``foo-bar-baz``); Debian package names
    are lowercase by policy, so they are lowercased; npm and others are kept as written
    (npm names are case-sensitive for a few legacy packages), only trimmed.
    """
    base = base_ecosystem(ecosystem)
    if base == PYPI:
        return canonicalize_name(name.strip())
    if base == DEBIAN:
        return name.strip().lower()
    return name.strip()
