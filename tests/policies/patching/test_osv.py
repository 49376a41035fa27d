"""OSV records: parsing, range semantics (is_affected), severity, and the folder/zip reader."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from policies.patching.advisories import Affected, Event, Package, Range
from policies.patching.osv import AffectedMatcher, OSVFormatError, is_affected, parse_osv
from policies.patching.osv_reader import iter_osv
from policies.patching.severity import Severity
from policies.patching.versions import VersionError
from tests.policies.patching.records import (
    DEBIAN_OPENSSL,
    GHSA_DJANGO,
    GHSA_NPM_LAST_AFFECTED,
    GIT_ONLY,
    LIMITED,
    PYSEC_DJANGO,
    WITHDRAWN,
)


def test_parse_ghsa_record() -> None:
    advisory = parse_osv(GHSA_DJANGO, "GHSA-vm8q-m57g-pff3.json")
    assert advisory.id == "GHSA-vm8q-m57g-pff3"
    assert advisory.modified == datetime(2024, 3, 5, 20, 15, tzinfo=UTC)
    assert advisory.published == datetime(2024, 3, 4, 15, 30, 25, tzinfo=UTC)
    assert advisory.withdrawn is None and not advisory.is_withdrawn
    assert advisory.aliases == ("CVE-2024-27351",)
    assert advisory.summary.startswith("Regular expression denial-of-service")
    (affected,) = advisory.affected
    assert affected.package == Package("PyPI", "django", "pkg:pypi/django")
    assert [r.type for r in affected.ranges] == ["ECOSYSTEM"] * 3
    assert affected.ranges[1].events == (Event("introduced", "4.2"), Event("fixed", "4.2.11"))
    # The CVSS vector wins over the database's MODERATE word, and is scored here.
    assert advisory.severity.level == Severity.HIGH
    assert advisory.severity.score == 7.5
    assert advisory.severity.source == "cvss_v3"
    assert advisory.references[0].url.endswith("CVE-2024-27351")
    assert advisory.source == "GHSA-vm8q-m57g-pff3.json"


@pytest.mark.parametrize(
    ("version", "expected", "fixed"),
    [
        ("3.1.14", False, None),
        ("3.2", True, "3.2.25"),
        ("3.2.24", True, "3.2.25"),
        ("3.2.25", False, None),
        ("4.1.13", False, None),
        ("4.2.10", True, "4.2.11"),
        ("4.2.11", False, None),
        ("4.2.11.post1", False, None),
        ("5.0rc1", False, None),  # a prerelease of 5.0 sorts before the introduced 5.0
        ("5.0", True, "5.0.3"),
        ("5.0.2", True, "5.0.3"),
        ("5.0.3", False, None),
        ("5.1", False, None),
    ],
)
def test_ecosystem_ranges_pypi(version: str, expected: bool, fixed: str | None) -> None:
    (affected,) = parse_osv(GHSA_DJANGO).affected
    assert is_affected(affected, version) is expected
    assert AffectedMatcher(affected).check(version).fixed_version == fixed


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.2.24", True),  # only in the versions list: the 3.2 branch has no range here
        ("3.2.24.0", True),  # PEP 440 equal to a listed version
        ("3.2.10", False),  # neither listed nor in a range
        ("4.2.5", True),  # in the (unsorted) ECOSYSTEM range
        ("4.2.11", False),
        ("5.0.2", True),
        ("2.2", False),  # the GIT range would say "introduced 0" if it were (wrongly) evaluated
    ],
)
def test_versions_list_and_unsorted_events(version: str, expected: bool) -> None:
    (affected,) = parse_osv(PYSEC_DJANGO).affected
    assert is_affected(affected, version) is expected


def test_versions_list_match_has_no_fix_version() -> None:
    matcher = AffectedMatcher(parse_osv(PYSEC_DJANGO).affected[0])
    assert matcher.check("3.2.1").affected
    assert matcher.check("3.2.1").fixed_version is None
    assert matcher.check("4.2.1").fixed_version == "4.2.11"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.6.9", False),
        ("3.7.0", True),
        ("4.17.19", True),  # last_affected is affected
        ("4.17.19+build.5", True),  # build metadata does not change precedence
        ("4.17.20-rc.1", False),  # above last_affected (a prerelease of 4.17.20 > 4.17.19)
        ("4.17.20", False),
        ("v4.0.0", True),
    ],
)
def test_semver_last_affected(version: str, expected: bool) -> None:
    lodash = parse_osv(GHSA_NPM_LAST_AFFECTED).affected[0]
    assert is_affected(lodash, version) is expected
    if expected:
        assert AffectedMatcher(lodash).check(version).fixed_version is None  # no fix known


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.0.0", True), ("2.0.0-rc.1", True), ("2.0.0-rc.2", False), ("2.0.0-rc.10", False), ("2.0.0", False)],
)
def test_semver_prerelease_fix(version: str, expected: bool) -> None:
    scoped = parse_osv(GHSA_NPM_LAST_AFFECTED).affected[1]
    assert scoped.package.name == "@example/scoped"
    assert is_affected(scoped, version) is expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3.0.9-1", True),
        ("3.0.11-1", False),  # the unstable upload sorts after the ~deb12u2 stable one
        ("3.0.11-1~deb12u1", True),
        ("3.0.11-1~deb12u2", False),
        ("3.0.11-1~deb12u10", False),
        ("3.0.13-1~deb12u1", False),
        ("3.0.11-1~deb11u1", True),  # ~deb11 < ~deb12
    ],
)
def test_debian_ecosystem_range(version: str, expected: bool) -> None:
    advisory = parse_osv(DEBIAN_OPENSSL)
    bookworm = advisory.affected[0]
    assert bookworm.package.ecosystem == "Debian:12"
    assert is_affected(bookworm, version) is expected


def test_git_only_range_is_ignored() -> None:
    (affected,) = parse_osv(GIT_ONLY).affected
    assert affected.ranges[0].type == "GIT"
    for version in ("0.1", "9.5.0", "10.2.0"):
        assert not is_affected(affected, version)
    # A GIT range whose events would parse as versions is still not evaluated.
    git = Affected(Package("PyPI", "pillow"), (Range("GIT", (Event("introduced", "0"),), "https://example.org/r"),))
    assert not is_affected(git, "9.5.0")
    assert AffectedMatcher(git).problems == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.9", False),
        ("1.0", True),
        ("1.9.9", True),
        ("2.0", False),  # at the limit: not below it
        ("2.5", False),  # beyond the limit; no fixed event, yet not affected
        ("3.0", True),  # second range, limit "*" is infinity
        ("3.4.9", True),
        ("3.5", False),
    ],
)
def test_limit_events(version: str, expected: bool) -> None:
    (affected,) = parse_osv(LIMITED).affected
    assert is_affected(affected, version) is expected


def _affected(events: list[tuple[str, str]], ecosystem: str = "PyPI", versions: tuple[str, ...] = ()) -> Affected:
    rng = Range("ECOSYSTEM", tuple(Event(kind, version) for kind, version in events))
    return Affected(Package(ecosystem, "pkg"), (rng,), versions)


def test_reintroduced_at_the_fix_keeps_record_order() -> None:
    # Fixed in 2.0, broken again by 2.0 itself: equal versions keep the timeline's order.
    affected = _affected([("introduced", "0"), ("fixed", "2.0"), ("introduced", "2.0"), ("fixed", "2.1")])
    assert is_affected(affected, "1.0")
    assert is_affected(affected, "2.0")
    assert not is_affected(affected, "2.1")
    # And the opposite order: an empty [2.0, 2.0) range.
    empty = _affected([("introduced", "2.0"), ("fixed", "2.0")])
    assert not is_affected(empty, "2.0")


def test_introduced_zero_is_below_everything() -> None:
    affected = _affected([("introduced", "0"), ("fixed", "1.0")])
    assert is_affected(affected, "0.0.dev0")  # below PEP 440's own 0
    debian = _affected([("introduced", "0"), ("fixed", "1.0-1")], ecosystem="Debian:12")
    assert is_affected(debian, "~~0")  # below dpkg's 0


def test_invalid_versions_are_reported_not_guessed() -> None:
    affected = _affected([("introduced", "0"), ("fixed", "1.0")], versions=("weird-build",))
    with pytest.raises(VersionError):
        is_affected(affected, "not a version")
    # A listed version matches verbatim even when the ordering refuses it.
    assert is_affected(affected, "weird-build")
    # An event version the ordering refuses: the range is skipped and reported.
    bad = AffectedMatcher(_affected([("introduced", "0"), ("fixed", "1.0-final-x")]))
    assert not bad.matches("0.5")
    assert "range 0 (ECOSYSTEM)" in bad.problems[0]
    assert "1.0-final-x" in bad.problems[0]


def test_unknown_ecosystem_uses_versions_list_only() -> None:
    matcher = AffectedMatcher(_affected([("introduced", "0")], ecosystem="Maven", versions=("1.2",)))
    assert matcher.matches("1.2")
    assert not matcher.matches("1.3")
    assert "no version ordering" in matcher.problems[0]


def test_withdrawn_is_parsed() -> None:
    advisory = parse_osv(WITHDRAWN)
    assert advisory.is_withdrawn
    assert advisory.withdrawn == datetime(2024, 2, 1, tzinfo=UTC)


# -- severity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "score", "level"),
    [
        # Published scores (NVD / FIRST's CVSS v3.1 examples document).
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, Severity.CRITICAL),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, Severity.MEDIUM),  # CVE-2013-1937
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, Severity.CRITICAL),  # Log4Shell
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, Severity.LOW),  # POODLE, CVE-2014-3566
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, Severity.CRITICAL),  # CVE-2012-1516
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, Severity.HIGH),  # CVE-2016-1645
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, Severity.HIGH),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, Severity.HIGH),  # Heartbleed
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, Severity.MEDIUM),
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, Severity.HIGH),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5, Severity.MEDIUM),
        ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, Severity.HIGH),
        ("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, Severity.NONE),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:R", 9.8, Severity.CRITICAL),  # temporal ignored
    ],
)
def test_cvss3_scores(vector: str, score: float, level: Severity) -> None:
    record = {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "severity": [{"type": "CVSS_V3", "score": vector}]}
    advisory = parse_osv(record)
    assert advisory.severity.score == score
    assert advisory.severity.level == level
    assert advisory.severity.vector == vector


CVSS4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(
    ("extra", "level", "source"),
    [
        ({"database_specific": {"severity": "MODERATE"}}, Severity.MEDIUM, "database_specific"),
        ({"database_specific": {"severity": "CRITICAL"}}, Severity.CRITICAL, "database_specific"),
        ({"severity": [{"type": "Ubuntu", "score": "negligible"}]}, Severity.LOW, "Ubuntu"),
        (
            {"affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "ecosystem_specific": {"severity": "HIGH"}}]},
            Severity.HIGH,
            "ecosystem_specific",
        ),
        (
            {"severity": [{"type": "CVSS_V4", "score": CVSS4}]},
            Severity.UNKNOWN,
            "cvss_v4",
        ),
        ({}, Severity.UNKNOWN, "none"),
    ],
)
def test_severity_fallbacks(extra: dict[str, Any], level: Severity, source: str) -> None:
    advisory = parse_osv({"id": "X-2", "modified": "2024-01-01T00:00:00Z", **extra})
    assert advisory.severity.level == level
    assert advisory.severity.source == source


def test_unscorable_cvss_falls_back_with_a_warning() -> None:
    record = {
        "id": "X-3",
        "modified": "2024-01-01T00:00:00Z",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"}],
        "database_specific": {"severity": "LOW"},
    }
    advisory = parse_osv(record)
    assert advisory.severity.level == Severity.LOW
    assert "missing base metric(s) A" in advisory.warnings[0]


# -- malformed records ------------------------------------------------------------------


def _broken(change: Any) -> dict[str, Any]:
    record = copy.deepcopy(GHSA_DJANGO)
    change(record)
    return record


@pytest.mark.parametrize(
    ("record", "path", "problem"),
    [
        (_broken(lambda r: r.pop("id")), "$.id", "required field is missing"),
        (_broken(lambda r: r.update(modified="yesterday")), "$.modified", "not an RFC 3339 timestamp"),
        (_broken(lambda r: r.update(aliases="CVE-1")), "$.aliases", "expected an array"),
        (_broken(lambda r: r.update(schema_version="2.0.0")), "$.schema_version", "unsupported schema version"),
        (
            _broken(lambda r: r["affected"][0]["ranges"][1]["events"].append({"introduced": "1", "fixed": "2"})),
            "$.affected[0].ranges[1].events[2]",
            "exactly one of",
        ),
        (
            _broken(lambda r: r["affected"][0]["ranges"][2]["events"].__setitem__(1, {"fixed": 503})),
            "$.affected[0].ranges[2].events[1].fixed",
            "expected a non-empty version string",
        ),
        (
            _broken(lambda r: r["affected"][0]["ranges"][0].update(events=[{"fixed": "1"}])),
            "$.affected[0].ranges[0].events",
            "needs an 'introduced' event",
        ),
        (
            _broken(lambda r: r["affected"][0]["package"].pop("name")),
            "$.affected[0].package.name",
            "required field is missing",
        ),
        (_broken(lambda r: r["affected"].append("PyPI/django")), "$.affected[1]", "expected an object"),
    ],
)
def test_malformed_records_name_the_json_path(record: dict[str, Any], path: str, problem: str) -> None:
    with pytest.raises(OSVFormatError) as caught:
        parse_osv(record, "GHSA-vm8q-m57g-pff3.json")
    assert caught.value.path == path
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"GHSA-vm8q-m57g-pff3.json: {path}: ")


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(OSVFormatError, match=r"bad\.json: \$: invalid JSON at line 2 column 8: Expecting value"):
        parse_osv(b'{"id": "X",\n  "x": ,}', "bad.json")


# -- reader -------------------------------------------------------------------------------


def test_reads_a_folder_recursively(tmp_path: Path) -> None:
    (tmp_path / "PyPI").mkdir()
    (tmp_path / "PyPI" / "GHSA-vm8q-m57g-pff3.json").write_text(json.dumps(GHSA_DJANGO))
    (tmp_path / "PYSEC-2024-47.json").write_text(json.dumps(PYSEC_DJANGO))
    (tmp_path / "README.md").write_text("not a record")
    assert sorted(advisory.id for advisory in iter_osv(tmp_path)) == ["GHSA-vm8q-m57g-pff3", "PYSEC-2024-47"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_reads_an_osv_all_zip_one_record_at_a_time(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    archive.write_bytes(
        _zip(
            {
                "GHSA-vm8q-m57g-pff3.json": json.dumps(GHSA_DJANGO).encode(),
                "DSA-5532-1.json": json.dumps(DEBIAN_OPENSSL).encode(),
                "BROKEN-1.json": b'{"id": "BROKEN-1", "modified": "2024-01-01T00:00:00Z", "affected": {}}',
            }
        )
    )
    records = iter_osv(archive)
    # Streaming: the first record arrives before the broken third member is even read.
    assert next(records).id == "GHSA-vm8q-m57g-pff3"
    assert next(records).id == "DSA-5532-1"
    with pytest.raises(OSVFormatError) as caught:
        next(records)
    assert str(caught.value) == f"{archive}:BROKEN-1.json: $.affected: expected an array, got dict"


def test_collects_errors_and_goes_on() -> None:
    data = _zip(
        {
            "BAD.json": b'{"id": "BAD"}',
            "GHSA-vm8q-m57g-pff3.json": json.dumps(GHSA_DJANGO).encode(),
            "dir/": b"",
        }
    )
    errors: list[OSVFormatError] = []
    advisories = list(iter_osv(io.BytesIO(data), errors=errors))
    assert [advisory.id for advisory in advisories] == ["GHSA-vm8q-m57g-pff3"]
    assert len(errors) == 1
    assert errors[0].source == "<zip>:BAD.json"
    assert errors[0].path == "$.modified"


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(iter_osv(tmp_path / "nowhere.zip"))
