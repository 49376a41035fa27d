"""The Debian security tracker's JSON as advisories."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from policies.patching.debian_tracker import DebianTrackerError, parse_debian_tracker
from policies.patching.osv import AffectedMatcher, is_affected
from policies.patching.severity import Severity
from tests.policies.patching.records import DEBIAN_TRACKER


def test_one_advisory_per_cve_with_release_entries() -> None:
    advisories = parse_debian_tracker(DEBIAN_TRACKER)
    assert [a.id for a in advisories] == ["CVE-2023-5363", "CVE-2024-0727", "CVE-2023-22809", "TEMP-0000000-ABCDEF"]
    cve = advisories[0]
    assert cve.summary == "Incorrect cipher key & IV length processing"
    assert cve.modified is None
    assert cve.database_specific["scope"] == {"openssl": "remote"}
    # bullseye has fixed_version "0" (never affected) and sid has no release number: only bookworm.
    assert [(a.package.ecosystem, a.package.name) for a in cve.affected] == [("Debian:12", "openssl")]
    (bookworm,) = cve.affected
    assert is_affected(bookworm, "3.0.11-1~deb12u1")
    assert not is_affected(bookworm, "3.0.11-1~deb12u2")
    assert AffectedMatcher(bookworm).check("3.0.9-1").fixed_version == "3.0.11-1~deb12u2"


def test_open_without_fix_affects_every_version() -> None:
    advisories = parse_debian_tracker(DEBIAN_TRACKER)
    open_cve = next(a for a in advisories if a.id == "CVE-2024-0727")
    ecosystems = {a.package.ecosystem: a for a in open_cve.affected}
    assert set(ecosystems) == {"Debian:12", "Debian:13"}
    assert is_affected(ecosystems["Debian:12"], "3.0.11-1~deb12u2")
    assert is_affected(ecosystems["Debian:12"], "99:9.9")
    assert AffectedMatcher(ecosystems["Debian:12"]).check("3.0.11-1").fixed_version is None
    assert not is_affected(ecosystems["Debian:13"], "3.1.5-1")
    assert open_cve.database_specific["debianbug"] == {"openssl": 1060858}


def test_urgency_is_a_severity_hint() -> None:
    advisories = {a.id: a for a in parse_debian_tracker(DEBIAN_TRACKER)}
    assert advisories["CVE-2024-0727"].severity.level == Severity.LOW
    assert advisories["CVE-2024-0727"].severity.source == "ecosystem_specific"
    assert advisories["CVE-2023-22809"].severity.level == Severity.HIGH  # "high**"
    assert advisories["TEMP-0000000-ABCDEF"].severity.level == Severity.MEDIUM
    assert advisories["CVE-2023-5363"].severity.level == Severity.UNKNOWN  # "not yet assigned"


def test_undetermined_is_included_unless_asked_not_to() -> None:
    sudo = next(a for a in parse_debian_tracker(DEBIAN_TRACKER) if a.id == "CVE-2023-22809")
    assert {a.package.ecosystem for a in sudo.affected} == {"Debian:12", "Debian:11"}
    strict = next(
        a for a in parse_debian_tracker(DEBIAN_TRACKER, include_undetermined=False) if a.id == "CVE-2023-22809"
    )
    assert {a.package.ecosystem for a in strict.affected} == {"Debian:12"}


def test_reads_json_text_and_files(tmp_path: Path) -> None:
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps(DEBIAN_TRACKER))
    from_file = parse_debian_tracker(path)
    assert [a.id for a in from_file] == [a.id for a in parse_debian_tracker(json.dumps(DEBIAN_TRACKER))]
    assert from_file[0].source == str(path)


def test_malformed_tracker_names_the_json_path() -> None:
    broken = copy.deepcopy(DEBIAN_TRACKER)
    broken["sudo"]["CVE-2023-22809"]["releases"]["bookworm"]["status"] = "fixed"
    with pytest.raises(DebianTrackerError) as caught:
        parse_debian_tracker(broken)
    assert caught.value.path == '$["sudo"]["CVE-2023-22809"].releases["bookworm"].status'
    assert "expected one of resolved, open, undetermined" in caught.value.problem

    broken = copy.deepcopy(DEBIAN_TRACKER)
    broken["openssl"]["CVE-2024-0727"]["releases"]["trixie"].pop("fixed_version")
    with pytest.raises(DebianTrackerError, match=r"\.releases\[\"trixie\"\]\.fixed_version: a resolved issue"):
        parse_debian_tracker(broken)

    with pytest.raises(DebianTrackerError, match=r'\$\["openssl"\]: expected an object, got list'):
        parse_debian_tracker({"openssl": []})
    with pytest.raises(DebianTrackerError, match="invalid JSON at line 1"):
        parse_debian_tracker(b"{nope")
