"""Version ordering per ecosystem: PEP 440 (PyPI), dpkg (Debian) and SemVer 2.0 (npm).

Each ordering turns a version string into a *sort key*: a plain tuple that Python
compares natively, so comparing two versions is a tuple comparison and sorting needs
no ``cmp_to_key``. Keys of the same ordering compare; keys of different orderings must
not be mixed. An invalid version raises ``VersionError`` (a ``ValueError``) naming the
ecosystem, the version and the problem; callers report it and do not match.

Keys are cached (``functools.lru_cache``): inventories repeat the same versions on many
hosts, so each distinct version is parsed once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from policies.patching.ecosystems import DEBIAN, NPM, PYPI, base_ecosystem

#: A sort key: compare with ``<``/``==`` only against keys of the same ordering.
VersionKey = tuple[Any, ...]

_CACHE_SIZE = 1 << 16
_DIGITS = frozenset("0123456789")
_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LETTERS = _ALNUM - _DIGITS


class VersionError(ValueError):
    """A version that its ecosystem's ordering cannot place."""

    def __init__(self, scheme: str, version: str, problem: str) -> None:
        super().__init__(f"invalid {scheme} version {version!r}: {problem}")
        self.scheme = scheme
        self.version = version
        self.problem = problem


# ---------------------------------------------------------------------------
# Debian (dpkg)
# ---------------------------------------------------------------------------
#
# dpkg compares epoch (a number), then upstream version, then Debian revision. The
# upstream and revision strings are compared as alternating runs: a run of non-digits
# compared character by character (``~`` before the end of the run, the end before
# letters, letters before everything else), then a run of digits compared numerically
# (an absent run counts as 0), and so on until both strings are used up.
#
# That is a lexicographic comparison of the *flattened* sequence
#     [weights of non-digit run..., 0, number, weights of next non-digit run..., 0, number, ...]
# where a string that ran out reads as an endless run of zeros (the end of a non-digit
# run reads as weight 0 in dpkg, an absent digit run as the number 0). Weights are never
# 0 themselves: ``~`` is -1, letters their code, other characters code + 256.
#
# Python compares tuples with "shorter is smaller", not "missing reads as 0", and ``~``
# is below 0. So the flattened sequence is run-length encoded into items, one per non-zero
# element, each carrying the count ``z`` of zeros before it:
#     negative element v  -> (-1,  z, v)   (more zeros first = larger)
#     positive element v  -> ( 1, -z, v)   (more zeros first = smaller)
#     the endless zeros   -> (0,)          (between every negative and every positive)
# Comparing these item tuples gives exactly dpkg's order (tests check it against
# ``dpkg --compare-versions`` on hand-picked and generated pairs).

_DEBIAN_END: tuple[int] = (0,)
_DEBIAN_UPSTREAM_EXTRA = frozenset(".+~-:")
_DEBIAN_REVISION_EXTRA = frozenset(".+~")
_EPOCH_MAX = 2**31 - 1


def _dpkg_weight(char: str) -> int:
    if char == "~":
        return -1
    if char in _LETTERS:
        return ord(char)
    return ord(char) + 256


def _dpkg_part_key(part: str) -> tuple[tuple[int, ...], ...]:
    """Run-length encoded dpkg sequence of an upstream version or a revision."""
    items: list[tuple[int, ...]] = []
    zeros = 0

    def push(value: int) -> None:
        nonlocal zeros
        if value == 0:
            zeros += 1
        elif value < 0:
            items.append((-1, zeros, value))
            zeros = 0
        else:
            items.append((1, -zeros, value))
            zeros = 0

    i, size = 0, len(part)
    while i < size:
        while i < size and part[i] not in _DIGITS:
            push(_dpkg_weight(part[i]))
            i += 1
        push(0)  # end of the non-digit run
        start = i
        while i < size and part[i] in _DIGITS:
            i += 1
        push(int(part[start:i]) if i > start else 0)
    items.append(_DEBIAN_END)
    return tuple(items)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def debian_key(version: str) -> VersionKey:
    """Sort key of a Debian version ``[epoch:]upstream[-revision]``, in dpkg's order.

    Refused (``VersionError``): empty, whitespace inside, a non-numeric or too large epoch,
    nothing after the epoch's colon, an empty upstream version or revision, and characters
    Debian policy does not allow (upstream: alphanumerics and ``.+~-:``; revision:
    alphanumerics and ``.+~``). dpkg only warns about the characters; Rampart does not
    guess the order of versions it cannot vouch for.
    """
    text = version.strip()
    if not text:
        raise VersionError("Debian", version, "empty version")
    if any(char.isspace() for char in text):
        raise VersionError("Debian", version, "contains whitespace")
    epoch_text, colon, rest = text.partition(":")
    epoch = 0
    if colon:
        if not epoch_text or not set(epoch_text) <= _DIGITS:
            raise VersionError("Debian", version, "epoch is not a number")
        epoch = int(epoch_text)
        if epoch > _EPOCH_MAX:
            raise VersionError("Debian", version, "epoch is too big")
        if not rest:
            raise VersionError("Debian", version, "nothing after the epoch's colon")
    else:
        rest = text
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    elif not revision:
        raise VersionError("Debian", version, "empty revision after '-'")
    if not upstream:
        raise VersionError("Debian", version, "empty upstream version")
    bad = {char for char in upstream if char not in _ALNUM and char not in _DEBIAN_UPSTREAM_EXTRA}
    if bad:
        raise VersionError("Debian", version, f"invalid character(s) {''.join(sorted(bad))!r} in upstream version")
    bad = {char for char in revision if char not in _ALNUM and char not in _DEBIAN_REVISION_EXTRA}
    if bad:
        raise VersionError("Debian", version, f"invalid character(s) {''.join(sorted(bad))!r} in revision")
    return (epoch, _dpkg_part_key(upstream), _dpkg_part_key(revision))


# ---------------------------------------------------------------------------
# SemVer 2.0 (npm)
# ---------------------------------------------------------------------------

# A release sorts after every prerelease of the same major.minor.patch.
_SEMVER_RELEASE: tuple[int] = (1,)


def _semver_number(version: str, text: str, what: str) -> int:
    if not text or not set(text) <= _DIGITS:
        raise VersionError("SemVer", version, f"{what} {text!r} is not a number")
    if len(text) > 1 and text[0] == "0":
        raise VersionError("SemVer", version, f"{what} {text!r} has a leading zero")
    return int(text)


def _semver_identifiers(version: str, text: str, what: str) -> list[str]:
    identifiers = text.split(".")
    for identifier in identifiers:
        if not identifier:
            raise VersionError("SemVer", version, f"empty {what} identifier")
        if not set(identifier) <= _ALNUM | {"-"}:
            problem = f"{what} identifier {identifier!r} has characters outside [0-9A-Za-z-]"
            raise VersionError("SemVer", version, problem)
    return identifiers


@functools.lru_cache(maxsize=_CACHE_SIZE)
def semver_key(version: str) -> VersionKey:
    """Sort key of a SemVer 2.0 version (``MAJOR.MINOR.PATCH[-pre][+build]``).

    A leading ``v`` is tolerated. Precedence per SemVer section 11: numeric core, then a
    release above its prereleases; prerelease identifiers compare numerically when both
    are numeric, numeric below alphanumeric, alphanumeric in ASCII order, and a shorter
    list below a longer one it prefixes. Build metadata is checked but ignored.
    """
    text = version.strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    if not text:
        raise VersionError("SemVer", version, "empty version")
    text, plus, build = text.partition("+")
    if plus:
        _semver_identifiers(version, build, "build")
    core, dash, prerelease = text.partition("-")
    numbers = core.split(".")
    if len(numbers) != 3:
        raise VersionError("SemVer", version, "needs MAJOR.MINOR.PATCH")
    major, minor, patch = (
        _semver_number(version, value, what) for value, what in zip(numbers, ("major", "minor", "patch"), strict=True)
    )
    if not dash:
        return (major, minor, patch, _SEMVER_RELEASE)
    parts: list[tuple[int, int | str]] = []
    for identifier in _semver_identifiers(version, prerelease, "prerelease"):
        if set(identifier) <= _DIGITS:
            parts.append((0, _semver_number(version, identifier, "numeric prerelease identifier")))
        else:
            parts.append((1, identifier))
    return (major, minor, patch, (0, tuple(parts)))


# ---------------------------------------------------------------------------
# PEP 440 (PyPI)
# ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def pep440_key(version: str) -> VersionKey:
    """Sort key of a PEP 440 version (``packaging.version.Version``); legacy versions are refused."""
    try:
        return (Version(version),)
    except InvalidVersion:
        raise VersionError("PEP 440", version, "not a PEP 440 version") from None


# ---------------------------------------------------------------------------
# Orderings
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ordering:
    """A named version ordering: ``key`` maps a version string to its sort key."""

    name: str
    key: Callable[[str], VersionKey]

    def compare(self, left: str, right: str) -> int:
        """-1, 0 or 1 as ``left`` sorts before, with or after ``right``."""
        a, b = self.key(left), self.key(right)
        return (a > b) - (a < b)

    def is_valid(self, version: str) -> bool:
        try:
            self.key(version)
        except VersionError:
            return False
        return True


DPKG = Ordering("dpkg", debian_key)
SEMVER = Ordering("SemVer", semver_key)
PEP440 = Ordering("PEP 440", pep440_key)

# Ecosystems whose OSV ``ECOSYSTEM`` ranges this engine can evaluate. Go and crates.io
# versions are SemVer (Go's with a ``v``), so they come for free.
_ECOSYSTEM_ORDERINGS: dict[str, Ordering] = {
    PYPI: PEP440,
    NPM: SEMVER,
    DEBIAN: DPKG,
    "Go": SEMVER,
    "crates.io": SEMVER,
}


def ordering_for(ecosystem: str) -> Ordering | None:
    """The ordering of an ecosystem (``Debian:12`` -> dpkg), or None when not supported."""
    return _ECOSYSTEM_ORDERINGS.get(base_ecosystem(ecosystem))


def compare_versions(ecosystem: str, left: str, right: str) -> int:
    """-1, 0 or 1; raises ``VersionError`` for an invalid version, ``LookupError`` for an unknown ecosystem."""
    ordering = ordering_for(ecosystem)
    if ordering is None:
        raise LookupError(f"no version ordering for ecosystem {ecosystem!r}")
    return ordering.compare(left, right)
