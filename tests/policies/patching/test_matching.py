"""Matching installed packages against advisories, alias merging and due dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from policies.patching.advisories import Advisory, Affected, Event, Package, Range
from policies.patching.aliases import canonical_id, group_by_alias
from policies.patching.debian_tracker import parse_debian_tracker
from policies.patching.inventories import InstalledPackage, parse_dpkg
from policies.patching.matching import AdvisoryIndex, match_packages, merge_matches
from policies.patching.osv import parse_osv
from policies.patching.severity import Severity
from policies.patching.sla import DEFAULT_SLA_DAYS, due_date, sla_days
from tests.policies.patching.records import (
    DEBIAN_OPENSSL,
    DEBIAN_TRACKER,
    GHSA_DJANGO,
    GHSA_NPM_LAST_AFFECTED,
    LIMITED,
    PYSEC_DJANGO,
    WITHDRAWN,
)


def _advisories() -> list[Advisory]:
    records = [GHSA_DJANGO, PYSEC_DJANGO, GHSA_NPM_LAST_AFFECTED, DEBIAN_OPENSSL, WITHDRAWN, LIMITED]
    return [parse_osv(record) for record in records] + parse_debian_tracker(DEBIAN_TRACKER)


def _pypi(name: str, version: str) -> InstalledPackage:
    return InstalledPackage("PyPI", name, version)


def test_pypi_matches_with_name_normalisation_and_fix() -> None:
    result = match_packages(_advisories(), [_pypi("DJANGO", "4.2.10"), _pypi("django", "4.2.11")])
    found = sorted((m.package.version, m.advisory.id, m.fixed_version) for m in result.matches)
    assert found == [("4.2.10", "GHSA-vm8q-m57g-pff3", "4.2.11"), ("4.2.10", "PYSEC-2024-47", "4.2.11")]
    assert result.unmatched == []


def test_withdrawn_never_matches() -> None:
    index = AdvisoryIndex(_advisories())
    assert index.withdrawn == 1
    assert index.match([_pypi("requests", "2.31.0")]).matches == []
    assert index.candidates("PyPI", "requests") == []


def test_debian_matches_by_source_package_and_release() -> None:
    inventory = parse_dpkg(
        "libssl3:amd64\t3.0.11-1~deb12u1\topenssl\t3.0.11-1~deb12u1\n"
        "openssl\t3.0.11-1~deb12u1\topenssl\t3.0.11-1~deb12u1\n"
        "sudo\t1.9.13p3-1+deb12u1\tsudo\t1.9.13p3-1+deb12u1\n",
        "bookworm",
    )
    result = match_packages(_advisories(), inventory.packages)
    pairs = sorted((m.package.name, m.advisory.id, m.fixed_version) for m in result.matches)
    assert pairs == [
        ("libssl3", "CVE-2023-5363", "3.0.11-1~deb12u2"),  # binary libssl3, source openssl
        ("libssl3", "CVE-2024-0727", None),  # open in bookworm, no fix
        ("libssl3", "DSA-5532-1", "3.0.11-1~deb12u2"),
        ("openssl", "CVE-2023-5363", "3.0.11-1~deb12u2"),
        ("openssl", "CVE-2024-0727", None),
        ("openssl", "DSA-5532-1", "3.0.11-1~deb12u2"),
        ("sudo", "TEMP-0000000-ABCDEF", None),  # sudo CVE-2023-22809 is fixed in this version
    ]
    # The same source version on bullseye is judged by bullseye's entries: not affected there.
    bullseye = [InstalledPackage("Debian:11", "libssl1.1", "1.1.1w-0+deb11u1", "openssl", "1.1.1w-0+deb11u1")]
    assert match_packages(_advisories(), bullseye).matches == []


def test_release_less_debian_advisory_applies_to_every_release() -> None:
    advisory = Advisory(
        "DEBIAN-CVE-2024-9",
        None,
        affected=(Affected(Package("Debian", "zlib"), (Range("ECOSYSTEM", (Event("introduced", "0"),)),)),),
    )
    rows = [InstalledPackage("Debian:11", "zlib1g", "1:1.2.11.dfsg-2", "zlib", "1:1.2.11.dfsg-2")]
    assert [m.advisory.id for m in match_packages([advisory], rows).matches] == ["DEBIAN-CVE-2024-9"]


def test_npm_and_severity_per_match() -> None:
    rows = [InstalledPackage("npm", "lodash", "4.17.19"), InstalledPackage("npm", "@example/scoped", "1.0.0")]
    result = match_packages(_advisories(), rows)
    assert [(m.package.name, m.fixed_version, m.severity.level) for m in result.matches] == [
        ("lodash", None, Severity.HIGH),  # last_affected: no fix known
        ("@example/scoped", "2.0.0-rc.2", Severity.HIGH),
    ]


def test_invalid_installed_version_is_reported_not_matched() -> None:
    result = match_packages(_advisories(), [_pypi("django", "4.2-custom-build"), _pypi("unknown-pkg", "not-a-version")])
    assert result.matches == []
    ((package, reason),) = result.unmatched  # unknown-pkg has no advisory: nothing to report
    assert package.version == "4.2-custom-build"
    assert "not matched against 2 advisory entries" in reason
    assert "invalid PEP 440 version '4.2-custom-build'" in reason


def test_duplicate_advisory_keeps_the_latest_modification() -> None:
    older = parse_osv(GHSA_DJANGO)
    newer_record = dict(GHSA_DJANGO, modified="2024-06-01T00:00:00Z", summary="updated")
    newer = parse_osv(newer_record)
    index = AdvisoryIndex([newer, older])
    assert len(index) == 1
    assert index.advisories[0].summary == "updated"
    assert index.advisories[0].modified == datetime(2024, 6, 1, tzinfo=UTC)


def test_repeated_rows_are_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    index = AdvisoryIndex(_advisories())
    calls: list[tuple[str, str, str]] = []
    original = index._evaluate

    def counting(ecosystem: str, name: str, version: str) -> object:
        calls.append((ecosystem, name, version))
        return original(ecosystem, name, version)

    monkeypatch.setattr(index, "_evaluate", counting)
    rows = [_pypi("django", "4.2.10")] * 50 + [_pypi("django", "5.0.2")] * 50
    assert len(index.match(rows).matches) == 200
    assert len(calls) == 2
    # The index keeps its answers: the next host's identical rows cost no evaluation.
    assert len(index.match(rows[:1]).matches) == 2
    assert len(calls) == 2


# -- aliases --------------------------------------------------------------------------------


def test_canonical_id_rule() -> None:
    assert canonical_id(["GHSA-vm8q-m57g-pff3", "PYSEC-2024-47", "CVE-2024-27351"]) == "CVE-2024-27351"
    assert canonical_id(["CVE-2024-10000", "CVE-2024-9999", "CVE-2023-50000"]) == "CVE-2023-50000"
    assert canonical_id(["PYSEC-2024-47", "GHSA-aaaa-bbbb-cccc"]) == "GHSA-aaaa-bbbb-cccc"
    assert canonical_id(["PYSEC-2024-10", "PYSEC-2024-9"]) == "PYSEC-2024-9"


def test_group_by_alias_is_transitive_and_skips_withdrawn() -> None:
    a = Advisory("GHSA-aaaa-aaaa-aaaa", None, aliases=("CVE-2024-1234",))
    b = Advisory("PYSEC-2024-1", None, aliases=("GHSA-aaaa-aaaa-aaaa",))  # links to the CVE through a
    c = Advisory("OSV-2024-7", None, aliases=("cve-2024-1234",))  # same CVE, other case
    d = Advisory("GHSA-dddd-dddd-dddd", None, related=("CVE-2024-1234",))  # related is not an alias
    w = Advisory("GHSA-wwww-wwww-wwww", None, withdrawn=datetime(2024, 1, 1, tzinfo=UTC), aliases=("CVE-2024-1234",))
    groups = group_by_alias([a, b, c, d, w])
    assert [(g.id, [adv.id for adv in g.advisories]) for g in groups] == [
        ("CVE-2024-1234", ["GHSA-aaaa-aaaa-aaaa", "PYSEC-2024-1", "OSV-2024-7"]),
        ("GHSA-dddd-dddd-dddd", ["GHSA-dddd-dddd-dddd"]),
    ]
    assert groups[0].ids == ("CVE-2024-1234", "GHSA-aaaa-aaaa-aaaa", "OSV-2024-7", "PYSEC-2024-1")


def test_merge_matches_one_finding_per_vulnerability() -> None:
    index = AdvisoryIndex(_advisories())
    libssl = InstalledPackage("Debian:12", "libssl3", "3.0.11-1~deb12u1", "openssl", "3.0.11-1~deb12u1")
    rows = [_pypi("django", "4.2.10"), libssl]
    result = index.match(rows)
    findings = merge_matches(result.matches, index.vulnerabilities())
    summary = [
        (f.package.name, f.vulnerability_id, sorted(a.id for a in f.advisories), f.fixed_version) for f in findings
    ]
    assert summary == [
        # GHSA + PYSEC naming the same CVE: one vulnerability.
        ("django", "CVE-2024-27351", ["GHSA-vm8q-m57g-pff3", "PYSEC-2024-47"], "4.2.11"),
        # The tracker's CVE record and the DSA that aliases it: one vulnerability.
        ("libssl3", "CVE-2023-5363", ["CVE-2023-5363", "DSA-5532-1"], "3.0.11-1~deb12u2"),
        ("libssl3", "CVE-2024-0727", ["CVE-2024-0727"], None),
    ]
    django = findings[0]
    assert django.aliases == ("CVE-2024-27351", "GHSA-vm8q-m57g-pff3", "PYSEC-2024-47")
    assert django.severity.level == Severity.HIGH  # the GHSA's CVSS 7.5 beats the PYSEC's unknown
    # Without the index's groups, the matched advisories alone give the same answer here.
    assert [f.vulnerability_id for f in merge_matches(result.matches)] == [f.vulnerability_id for f in findings]


def test_merge_takes_the_highest_fix() -> None:
    low_fix = Advisory(
        "GHSA-1111-1111-1111",
        None,
        aliases=("CVE-2024-5",),
        affected=(
            Affected(Package("PyPI", "pkg"), (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "1.2"))),)),
        ),
    )
    high_fix = Advisory(
        "PYSEC-2024-5",
        None,
        aliases=("CVE-2024-5",),
        affected=(
            Affected(Package("PyPI", "pkg"), (Range("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "1.10"))),)),
        ),
    )
    (finding,) = merge_matches(match_packages([low_fix, high_fix], [_pypi("pkg", "1.0")]).matches)
    assert finding.vulnerability_id == "CVE-2024-5"
    assert finding.fixed_version == "1.10"  # by PEP 440, not as text ("1.2" > "1.10" as strings)


# -- SLA ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "known_exploited", "expected"),
    [
        ("critical", False, date(2024, 3, 16)),
        (Severity.HIGH, False, date(2024, 3, 31)),
        ("medium", False, date(2024, 5, 30)),
        ("low", False, date(2024, 8, 28)),
        ("unknown", False, date(2024, 3, 31)),  # treated as high
        ("none", False, date(2024, 8, 28)),  # treated as low
        ("low", True, date(2024, 3, 15)),  # known exploited: 14 days
        ("critical", True, date(2024, 3, 15)),  # the earlier of 14 and 15
        ("HIGH", False, date(2024, 3, 31)),
    ],
)
def test_due_dates_by_default(severity: Severity | str, known_exploited: bool, expected: date) -> None:
    assert due_date(date(2024, 3, 1), severity, known_exploited) == expected  # 2024 is a leap year


def test_custom_sla() -> None:
    sla = {"critical": 7, "unknown": 60, "known_exploited": 3}
    assert due_date(date(2024, 3, 1), "critical", False, sla) == date(2024, 3, 8)
    assert due_date(date(2024, 3, 1), "unknown", False, sla) == date(2024, 4, 30)
    assert due_date(date(2024, 3, 1), "high", False, sla) == date(2024, 3, 31)  # default kept
    assert due_date(date(2024, 3, 1), "medium", True, sla) == date(2024, 3, 4)
    assert sla_days("critical", True, {"known_exploited": 30}) == DEFAULT_SLA_DAYS["critical"]
    with pytest.raises(ValueError, match="unknown SLA key"):
        sla_days("high", False, {"urgent": 1})
    with pytest.raises(ValueError, match="whole number"):
        sla_days("high", False, {"high": -1})
    with pytest.raises(ValueError):
        sla_days("severe", False)
