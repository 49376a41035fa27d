"""Version ordering per ecosystem: hand-picked hard cases, and dpkg as the oracle for Debian."""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest

from policies.patching.ecosystems import base_ecosystem, debian_release, normalize_ecosystem, normalize_name
from policies.patching.versions import (
    DPKG,
    PEP440,
    SEMVER,
    VersionError,
    compare_versions,
    debian_key,
    ordering_for,
    semver_key,
)

DPKG_BIN = shutil.which("dpkg")
needs_dpkg = pytest.mark.skipif(DPKG_BIN is None, reason="dpkg is not installed")


def dpkg_compare(left: str, right: str) -> int:
    """The sign dpkg itself gives (two calls: ``lt`` then ``eq``)."""
    assert DPKG_BIN is not None
    if subprocess.run([DPKG_BIN, "--compare-versions", left, "lt", right], check=False).returncode == 0:
        return -1
    if subprocess.run([DPKG_BIN, "--compare-versions", left, "eq", right], check=False).returncode == 0:
        return 0
    return 1


# (left, right, expected sign): each a trap for a naive comparison.
DEBIAN_CASES = [
    ("1.0~rc1", "1.0", -1),  # ~ sorts before the end of the string
    ("1.0~rc1-1", "1.0-1", -1),
    ("1.0~~", "1.0~", -1),
    ("1.0~", "1.0", -1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~beta", "1.0~rc", -1),
    ("2.36-9+deb12u4", "2.36-9", 1),  # +deb12u1 security updates sort after the base revision
    ("2.36-9+deb12u10", "2.36-9+deb12u9", 1),  # digit runs numerically
    ("3.0.11-1~deb12u2", "3.0.11-1", -1),  # backports with ~ sort before
    ("1.0-1", "1.0", 1),
    ("1.0", "1.0-0", 0),  # an absent revision reads as 0
    ("1:0", "2", 1),  # epoch first
    ("0:1.0", "1.0", 0),
    ("2:1.0", "1:9.9", 1),
    ("1.01", "1.1", 0),  # leading zeros do not count
    ("1.001-01", "1.1-1", 0),
    ("10", "9", 1),
    ("1.0a", "1.0", 1),  # a letter sorts after the end
    ("1.0a", "1.0.1", -1),  # letters before non-letters
    ("1.0+", "1.0.", -1),  # '+' (43) before '.' (46)
    ("1.0-a", "1.0-+", -1),
    ("1.0.0", "1.0", 1),
    ("1.0.", "1.0", 1),
    ("1.2-3-4", "1.2-3", 1),  # hyphens in upstream: the last one starts the revision
    ("1.2-3-4", "1.2-4", 1),  # upstream "1.2-3" > "1.2" decides before the revisions
    ("1.0-1ubuntu1", "1.0-1", 1),
    ("1.0-1build1", "1.0-1+b1", -1),
    ("9:1.0", "10:0.1", -1),
    ("1.0~rc1+dfsg", "1.0~rc1", 1),
    ("1:2.30-1+deb12u1", "1:2.30-1", 1),
    ("5.10.0-28", "5.10.0-9", 1),
    ("A", "a", -1),
    ("1.a", "1.B", 1),
]


@pytest.mark.parametrize(("left", "right", "expected"), DEBIAN_CASES)
def test_debian_hard_cases(left: str, right: str, expected: int) -> None:
    assert DPKG.compare(left, right) == expected
    assert DPKG.compare(right, left) == -expected


@needs_dpkg
def test_debian_hard_cases_agree_with_dpkg() -> None:
    disagree = [(a, b, e) for a, b, e in DEBIAN_CASES if a[0].isdigit() and dpkg_compare(a, b) != e]
    assert disagree == []


def _random_debian_version(rng: random.Random) -> str:
    pieces = ["0", "1", "2", "9", "10", "01", "00", "a", "b", "z", "Z", "~", "~rc", "~~", "+", ".", "+deb12u", "dfsg"]
    upstream = rng.choice("0123456789") + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
    if rng.random() < 0.2:
        upstream += "-" + rng.choice(["1", "a", "2b"])  # hyphen inside upstream
    version = upstream
    if rng.random() < 0.6 or "-" in upstream:
        revision_pieces = ["0", "1", "2", "10", "a", "~", "+b", ".", "+deb12u", "ubuntu", "~bpo"]
        tail = "".join(rng.choice(revision_pieces) for _ in range(rng.randint(0, 3)))
        version += "-" + rng.choice("0123456789a") + tail
    if rng.random() < 0.25:
        version = f"{rng.choice(['0', '1', '2', '10'])}:{version}"
    return version


@needs_dpkg
def test_debian_random_pairs_agree_with_dpkg() -> None:
    rng = random.Random(20240611)
    pairs = []
    for _ in range(300):
        left = _random_debian_version(rng)
        # Half the pairs are near-misses of each other, where bugs hide.
        right = _random_debian_version(rng) if rng.random() < 0.5 else left + rng.choice(["~", "a", ".0", "+1", "0"])
        if rng.random() < 0.1:
            right = left
        pairs.append((left, right))
    outcomes = [(a, b, DPKG.compare(a, b), dpkg_compare(a, b)) for a, b in pairs]
    disagree = [outcome for outcome in outcomes if outcome[2] != outcome[3]]
    assert disagree == []
    # The generator must exercise every outcome, or the check proves little.
    assert {DPKG.compare(a, b) for a, b in pairs} == {-1, 0, 1}


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("", "empty version"),
        ("1.0 1", "whitespace"),
        ("a:1.0", "epoch is not a number"),
        ("1:", "nothing after the epoch"),
        ("1.0-", "empty revision"),
        ("-1", "empty upstream"),
        ("1.0_1", "invalid character"),
        ("1:1.0-1:2", "invalid character(s) ':' in revision"),
        ("99999999999:1", "epoch is too big"),
    ],
)
def test_debian_invalid_versions(version: str, problem: str) -> None:
    with pytest.raises(VersionError, match=re.escape(problem)):
        debian_key(version)


SEMVER_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.9.0",
    "1.10.0",
    "2.0.0-0",
    "2.0.0-1",
    "2.0.0-a",
    "2.0.0",
]


def test_semver_precedence_chain() -> None:
    # The SemVer 2.0 section 11 example chain plus numeric traps, in order.
    keys = [semver_key(version) for version in SEMVER_CHAIN]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert sorted(random.Random(7).sample(SEMVER_CHAIN, len(SEMVER_CHAIN)), key=semver_key) == SEMVER_CHAIN


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("1.0.0+build.1", "1.0.0+build.2", 0),  # build metadata ignored
        ("1.0.0+build", "1.0.0", 0),
        ("v1.2.3", "1.2.3", 0),  # a leading v tolerated
        ("1.0.0-alpha.1", "1.0.0-alpha-1", -1),  # 'alpha' < 'alpha-1' as strings
        ("1.0.0-2", "1.0.0-10", -1),  # numeric identifiers numerically
        ("1.0.0-a10", "1.0.0-a9", -1),  # alphanumeric ones in ASCII order
        ("1.0.0-Z", "1.0.0-a", -1),
        ("1.0.0-alpha.1.0", "1.0.0-alpha.1", 1),  # more identifiers win when the prefix is equal
    ],
)
def test_semver_pairs(left: str, right: str, expected: int) -> None:
    assert SEMVER.compare(left, right) == expected


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("1.0", "MAJOR.MINOR.PATCH"),
        ("01.0.0", "leading zero"),
        ("1.0.0-01", "leading zero"),
        ("1.0.0-", "empty prerelease"),
        ("1.0.0+", "empty build"),
        ("1.0.0-a..b", "empty prerelease"),
        ("1.0.0-é", "outside"),
        ("1.x.0", "not a number"),
        ("", "empty version"),
    ],
)
def test_semver_invalid(version: str, problem: str) -> None:
    with pytest.raises(VersionError, match=problem):
        semver_key(version)


def test_pep440_ordering() -> None:
    chain = ["1.0.dev0", "1.0a1", "1.0b1", "1.0rc1", "1.0", "1.0+local.1", "1.0.post1", "1.1", "1!0.1"]
    assert sorted(random.Random(7).sample(chain, len(chain)), key=PEP440.key) == chain
    assert PEP440.compare("1.0", "1.0.0") == 0
    assert PEP440.compare("2.0-beta-3", "2.0b3") == 0
    assert PEP440.compare("1.10", "1.9") == 1


@pytest.mark.parametrize("version", ["latest", "1.0-foo", "1.2.3.final", ""])
def test_pep440_invalid(version: str) -> None:
    with pytest.raises(VersionError, match="PEP 440"):
        PEP440.key(version)
    assert not PEP440.is_valid(version)


def test_orderings_per_ecosystem() -> None:
    assert ordering_for("PyPI") is PEP440
    assert ordering_for("npm") is SEMVER
    assert ordering_for("Debian:12") is DPKG
    assert ordering_for("debian:bookworm") is DPKG
    assert ordering_for("Maven") is None
    assert compare_versions("Debian:12", "1.0~rc1", "1.0") == -1
    assert compare_versions("PyPI", "1.0rc1", "1.0") == -1
    with pytest.raises(LookupError):
        compare_versions("Maven", "1", "2")


def test_ecosystem_and_name_normalisation() -> None:
    assert normalize_ecosystem("pypi") == "PyPI"
    assert normalize_ecosystem("NPM") == "npm"
    assert normalize_ecosystem("debian:bookworm") == "Debian:12"
    assert normalize_ecosystem("Debian:12.5") == "Debian:12"
    assert normalize_ecosystem("Debian") == "Debian"
    assert normalize_ecosystem("Maven") == "Maven"
    assert base_ecosystem("debian:11") == "Debian"
    assert debian_release("trixie") == "13"
    assert debian_release("sid") is None
    assert normalize_name("PyPI", "Django_REST.framework") == "django-rest-framework"
    assert normalize_name("Debian:12", "OpenSSL") == "openssl"
    assert normalize_name("npm", "JSONStream") == "JSONStream"
