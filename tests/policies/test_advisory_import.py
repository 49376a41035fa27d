"""Importing advisories: OSV folders and zips, Debian's tracker, incremental updates, aliases, withdrawals."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from policies.models import Advisory, AdvisoryPackage
from policies.services.advisories import AdvisoryImportError, import_advisories
from tests.policies.conftest import CVE_OPENSSL, load_advisories, osv, tracker
from tests.policies.patching.records import (
    DEBIAN_OPENSSL,
    DEBIAN_TRACKER,
    GHSA_DJANGO,
    GHSA_NPM_LAST_AFFECTED,
    PYSEC_DJANGO,
    WITHDRAWN,
)

pytestmark = pytest.mark.django_db


def _write(folder: Path, *records: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record))


def test_an_osv_folder_and_a_zip_are_read_and_stored(tmp_path: Path) -> None:
    _write(tmp_path / "osv" / "PyPI", GHSA_DJANGO, PYSEC_DJANGO)
    with zipfile.ZipFile(tmp_path / "osv" / "npm-all.zip", "w") as archive:
        archive.writestr(f"{GHSA_NPM_LAST_AFFECTED['id']}.json", json.dumps(GHSA_NPM_LAST_AFFECTED))

    report = import_advisories(actor=None, path=tmp_path / "osv")

    assert (report.read, report.created) == (3, 3)
    django = Advisory.objects.get(advisory_id="GHSA-vm8q-m57g-pff3")
    assert django.source == Advisory.Source.OSV
    assert django.aliases == ["CVE-2024-27351"]
    assert (django.severity, django.cvss_score) == ("high", 7.5)  # the CVSS vector wins over "MODERATE"
    assert django.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"
    assert django.modified.isoformat() == "2024-03-05T20:15:00+00:00"
    assert [r["events"] for r in django.affected[0]["ranges"]][1] == [{"introduced": "4.2"}, {"fixed": "4.2.11"}]
    # GHSA and PYSEC describe one vulnerability: both know it by its CVE.
    assert set(Advisory.objects.filter(vulnerability_id="CVE-2024-27351").values_list("advisory_id", flat=True)) == {
        "GHSA-vm8q-m57g-pff3",
        "PYSEC-2024-47",
    }
    assert set(AdvisoryPackage.objects.values_list("ecosystem", "name")) == {
        ("PyPI", "django"),
        ("npm", "lodash"),
        ("npm", "@example/scoped"),
    }


def test_the_debian_tracker_json_is_recognised_and_imported(tmp_path: Path) -> None:
    path = tmp_path / "debian-security-tracker.json"
    path.write_text(json.dumps(DEBIAN_TRACKER))

    report = import_advisories(actor=None, path=path)

    assert report.created == len(tracker())
    cve = Advisory.objects.get(advisory_id="DEBIAN-CVE-2024-0727")  # OSV's name for Debian's entry
    assert (cve.aliases, cve.vulnerability_id) == (["CVE-2024-0727"], "CVE-2024-0727")
    assert cve.source == Advisory.Source.DEBIAN
    assert cve.severity == "low"  # the bookworm urgency
    assert cve.modified is None
    assert {(e["ecosystem"], e["name"]) for e in cve.affected} == {("Debian:12", "openssl"), ("Debian:13", "openssl")}


def test_a_reimport_writes_only_what_changed(tmp_path: Path) -> None:
    load_advisories(osv(GHSA_DJANGO, PYSEC_DJANGO) + tracker())

    again = load_advisories(osv(GHSA_DJANGO, PYSEC_DJANGO) + tracker())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2 + len(tracker()))

    newer = copy.deepcopy(GHSA_DJANGO)
    newer["modified"] = "2024-04-01T00:00:00Z"
    newer["affected"][0]["ranges"][1]["events"][1] = {"fixed": "4.2.12"}
    older = copy.deepcopy(PYSEC_DJANGO)
    older["modified"] = "2023-01-01T00:00:00Z"
    older["summary"] = "An older copy from a stale mirror"
    changed_tracker = copy.deepcopy(DEBIAN_TRACKER)
    changed_tracker["openssl"]["CVE-2024-0727"]["releases"]["bookworm"]["fixed_version"] = "3.0.13-1~deb12u1"
    report = load_advisories(osv(newer, older) + tracker(changed_tracker))

    assert (report.updated, report.older, report.created) == (2, 1, 0)
    assert Advisory.objects.get(advisory_id="GHSA-vm8q-m57g-pff3").affected[0]["ranges"][1]["events"][1] == {
        "fixed": "4.2.12"
    }
    assert Advisory.objects.get(advisory_id="PYSEC-2024-47").summary.startswith("In Django 3.2")  # stale copy ignored
    fixed = Advisory.objects.get(advisory_id="DEBIAN-CVE-2024-0727").affected
    assert {"fixed": "3.0.13-1~deb12u1"} in next(e for e in fixed if e["ecosystem"] == "Debian:12")["ranges"][0][
        "events"
    ]


def test_a_malformed_record_refuses_the_whole_import_naming_file_and_path(tmp_path: Path) -> None:
    broken = copy.deepcopy(GHSA_DJANGO)
    broken["id"] = "GHSA-broken"
    broken["affected"][0]["ranges"][0]["events"] = [{"fixed": "3.2.25"}]  # no introduced event
    _write(tmp_path / "osv", GHSA_DJANGO, broken, PYSEC_DJANGO)

    with pytest.raises(AdvisoryImportError) as refused:
        import_advisories(actor=None, path=tmp_path / "osv")

    assert "Nothing was imported" in str(refused.value)
    assert len(refused.value.errors) == 1
    assert (
        "GHSA-broken.json: $.affected[0].ranges[0].events: a range needs an 'introduced' event"
        in (refused.value.errors[0])
    )
    assert not Advisory.objects.exists()

    report = import_advisories(actor=None, path=tmp_path / "osv", skip_invalid=True)
    assert report.created == 2
    assert len(report.skipped) == 1


def test_a_malformed_tracker_names_its_json_path(tmp_path: Path) -> None:
    document = copy.deepcopy(DEBIAN_TRACKER)
    document["openssl"]["CVE-2024-0727"]["releases"]["bookworm"]["status"] = "fixed"
    path = tmp_path / "tracker.json"
    path.write_text(json.dumps(document))

    with pytest.raises(AdvisoryImportError) as refused:
        import_advisories(actor=None, path=path)

    assert '$["openssl"]["CVE-2024-0727"].releases["bookworm"].status' in refused.value.errors[0]
    assert not Advisory.objects.exists()


def test_withdrawn_advisories_are_kept_with_their_date_but_form_no_group() -> None:
    load_advisories(osv(WITHDRAWN))

    withdrawn = Advisory.objects.get(advisory_id="GHSA-2222-3333-4444")
    assert withdrawn.withdrawn is not None
    assert withdrawn.vulnerability_id == "CVE-2024-0001"  # its own canonical id, linked to nothing


def test_a_later_record_linking_two_groups_regroups_the_stored_ones() -> None:
    load_advisories(osv(DEBIAN_OPENSSL))
    alone = {
        "id": "GHSA-openssl-bridge",
        "modified": "2024-01-01T00:00:00Z",
        "aliases": ["OSV-2023-77"],
        "affected": [],
    }
    load_advisories(osv(alone))
    assert Advisory.objects.get(advisory_id="GHSA-openssl-bridge").vulnerability_id == "GHSA-openssl-bridge"

    bridge = {"id": "OSV-2023-77", "modified": "2024-01-02T00:00:00Z", "aliases": ["CVE-2023-5363"], "affected": []}
    report = load_advisories(osv(bridge))

    assert report.regrouped == 1
    assert Advisory.objects.get(advisory_id="GHSA-openssl-bridge").vulnerability_id == "CVE-2023-5363"


def test_known_exploited_comes_from_the_record_and_severity_is_kept(tmp_path: Path) -> None:
    record = copy.deepcopy(CVE_OPENSSL)
    record["database_specific"] = {"cisa_kev": {"dateAdded": "2024-01-10"}}
    load_advisories(osv(record))

    stored = Advisory.objects.get(advisory_id="CVE-2023-5363")
    assert stored.known_exploited
    assert (stored.severity, stored.cvss_score) == ("high", 7.5)
    assert stored.affected == []  # a GIT-only entry names no package: nothing to match


def test_only_holders_of_add_advisory_import(personas: Any) -> None:
    from core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        load_advisories(osv(GHSA_DJANGO), actor=personas["officer_olga"])
    assert load_advisories(osv(GHSA_DJANGO), actor=personas["it_ivan"]).created == 1


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryImportError, match="No advisory file or folder"):
        import_advisories(actor=None, path=tmp_path / "nowhere")
