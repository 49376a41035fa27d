"""Patch checks: findings per asset, package and vulnerability; SLA due dates; fixing, withdrawing, accepting."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from core.errors import DomainError, PermissionDeniedError
from governance.models import Asset, ComplianceException, Control
from policies.models import PatchCheckRun, PatchFinding, PatchPolicy
from policies.services.patch_check import run_patch_check
from policies.services.patch_findings import accept_finding, update_patch_policy
from policies.services.patch_notifications import mail_new_critical_findings
from tests.policies.conftest import (
    CVE_OPENSSL,
    DPKG,
    DPKG_UPGRADED,
    NPM_LOCK,
    PIP_INSPECT,
    inventory,
    load_advisories,
    osv,
    standard_advisories,
)
from tests.policies.patching.records import DEBIAN_OPENSSL, GHSA_DJANGO, PYSEC_DJANGO, WITHDRAWN

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _finding(vulnerability: str, package: str | None = None, **filters: Any) -> PatchFinding:
    found = PatchFinding.objects.filter(vulnerability_id=vulnerability, **filters)
    if package is not None:
        found = found.filter(package=package)
    return found.get()


def test_findings_merge_aliases_and_take_due_dates_from_the_sla(advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
        inventory(PIP_INSPECT)
        inventory(NPM_LOCK)

    found = {(f.package, f.vulnerability_id): f for f in PatchFinding.objects.all()}
    assert set(found) == {
        ("openssl", "CVE-2023-5363"),  # DSA-5532-1 and the tracker's CVE: one vulnerability
        ("openssl", "CVE-2024-0727"),
        ("sudo", "TEMP-0000000-ABCDEF"),
        ("django", "CVE-2024-27351"),  # GHSA and PYSEC: one finding
        ("lodash", "CVE-2020-8203"),
        ("@example/scoped", "CVE-2020-8203"),
    }
    django = found[("django", "CVE-2024-27351")]
    assert django.advisory_ids == ["GHSA-vm8q-m57g-pff3", "PYSEC-2024-47"]
    assert django.aliases == ["CVE-2024-27351", "GHSA-vm8q-m57g-pff3", "PYSEC-2024-47"]
    assert (django.severity, django.cvss_score, django.fixed_in) == ("high", 7.5, "4.2.11")
    assert (django.first_seen, django.due_date) == (date(2025, 3, 3), date(2025, 4, 2))  # high: 30 days
    openssl = found[("openssl", "CVE-2023-5363")]
    assert openssl.installed_version == "3.0.11-1~deb12u1"  # the source version; two binaries, one finding
    assert openssl.fixed_in == "3.0.11-1~deb12u2"
    assert openssl.severity == "unknown"  # neither DSA nor tracker rates it ("not yet assigned")
    assert openssl.due_date == date(2025, 4, 2)  # unknown is treated as high
    low = found[("openssl", "CVE-2024-0727")]
    assert (low.severity, low.fixed_in, low.due_date) == ("low", "", date(2025, 8, 30))  # 180 days
    medium = found[("sudo", "TEMP-0000000-ABCDEF")]
    assert medium.due_date == date(2025, 6, 1)  # 90 days
    lodash = found[("lodash", "CVE-2020-8203")]
    assert (lodash.severity, lodash.due_date) == ("high", date(2025, 4, 2))
    assert all(f.status == PatchFinding.Status.OPEN for f in found.values())


def test_severity_comes_from_an_alias_when_the_matching_advisories_have_none(advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
        assert _finding("CVE-2023-5363").severity == "unknown"
        record = copy.deepcopy(CVE_OPENSSL)
        record["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
        load_advisories(osv(record))  # NVD's record, rated 9.8, matches nothing itself
        run_patch_check(actor=None)

    openssl = _finding("CVE-2023-5363")
    assert (openssl.severity, openssl.cvss_score) == ("critical", 9.8)
    assert openssl.due_date == date(2025, 3, 18)  # critical: 15 days from first seen
    assert "CVE-2023-5363" in openssl.aliases


def test_a_newer_inventory_with_the_fixed_version_fixes_the_finding(advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
    with time_machine.travel(MONDAY + timedelta(days=10), tick=False):
        result = inventory(DPKG_UPGRADED)

    fixed = _finding("CVE-2023-5363")
    assert fixed.status == PatchFinding.Status.FIXED
    assert fixed.fixed_version == "3.0.11-1~deb12u2"
    assert fixed.fixed_at == MONDAY + timedelta(days=10)
    still = _finding("CVE-2024-0727")  # no fix yet: still open, same first-seen day
    assert (still.status, still.first_seen, still.installed_version) == ("open", date(2025, 3, 3), "3.0.11-1~deb12u2")
    assert result.check is not None
    assert (result.check.fixed_findings, result.check.new_findings) == (1, 0)


def test_a_removed_package_fixes_its_findings_with_no_version(advisories: Any) -> None:
    inventory(DPKG, release="debian:12")
    inventory("".join(line + "\n" for line in DPKG.splitlines() if not line.startswith("sudo")))

    gone = _finding("TEMP-0000000-ABCDEF")
    assert (gone.status, gone.fixed_version) == (PatchFinding.Status.FIXED, "")


def test_findings_fall_overdue_and_count_in_the_compliance_figure(advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
    with time_machine.travel(MONDAY + timedelta(days=31), tick=False):
        run = run_patch_check(actor=None)
        assert _finding("CVE-2023-5363").is_overdue
        assert not _finding("CVE-2024-0727").is_overdue

    assert (run.open_findings, run.overdue_findings, run.new_findings) == (3, 1, 0)
    assert run.compliance == pytest.approx(66.7)


def test_editing_the_sla_moves_the_due_dates(advisories: Any, personas: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
        inventory(PIP_INSPECT)
    with pytest.raises(PermissionDeniedError):
        update_patch_policy(actor=personas["auditor_aude"], days={"high_days": 7})
    with pytest.raises(ValidationError):
        update_patch_policy(actor=personas["officer_olga"], days={"high_days": -1})

    update_patch_policy(actor=personas["officer_olga"], days={"high_days": 7, "low_days": 60})

    assert PatchPolicy.current().sla()["high"] == 7
    assert _finding("CVE-2024-27351").due_date == date(2025, 3, 10)
    assert _finding("CVE-2023-5363").due_date == date(2025, 3, 10)  # unknown follows high
    assert _finding("CVE-2024-0727").due_date == date(2025, 5, 2)
    with time_machine.travel(MONDAY + timedelta(days=2), tick=False):
        inventory(DPKG, release="debian:12", asset="erp-02")
    # Findings found later take the new days too.
    later = _finding("CVE-2023-5363", asset__name="erp-02")
    assert later.due_date == date(2025, 3, 12)
    assert _finding("TEMP-0000000-ABCDEF", asset__name="erp-02").due_date == date(2025, 6, 3)  # medium stays 90


def test_known_exploited_takes_the_shorter_deadline(advisories: Any) -> None:
    exploited = copy.deepcopy(GHSA_DJANGO)
    exploited["modified"] = "2024-05-01T00:00:00Z"
    exploited["database_specific"]["known_exploited"] = True
    with time_machine.travel(MONDAY, tick=False):
        load_advisories(osv(exploited))
        inventory(PIP_INSPECT)

    django = _finding("CVE-2024-27351")
    assert django.known_exploited
    assert django.due_date == date(2025, 3, 17)  # 14 days, not high's 30


def test_withdrawing_the_only_advisory_withdraws_the_finding() -> None:
    record = copy.deepcopy(WITHDRAWN)
    del record["withdrawn"]
    record["modified"] = "2024-01-01T00:00:00Z"
    load_advisories(osv(record))
    inventory("requests==2.31.0\n")
    assert _finding("CVE-2024-0001").status == "open"

    load_advisories(osv(WITHDRAWN))  # modified later, now withdrawn
    run = run_patch_check(actor=None)

    assert _finding("CVE-2024-0001").status == PatchFinding.Status.WITHDRAWN
    assert (run.withdrawn_findings, run.fixed_findings) == (1, 0)


def test_a_new_canonical_id_keeps_the_finding_and_its_first_seen_day() -> None:
    ghsa = copy.deepcopy(GHSA_DJANGO)
    ghsa["aliases"] = []
    with time_machine.travel(MONDAY, tick=False):
        load_advisories(osv(ghsa))
        inventory(PIP_INSPECT)
    assert _finding("GHSA-vm8q-m57g-pff3").first_seen == date(2025, 3, 3)

    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        load_advisories(osv(PYSEC_DJANGO))  # names the CVE and the GHSA: the group is known by the CVE
        run = run_patch_check(actor=None)

    renamed = PatchFinding.objects.get()
    assert (renamed.vulnerability_id, renamed.first_seen, renamed.status) == (
        "CVE-2024-27351",
        date(2025, 3, 3),
        "open",
    )
    assert (run.new_findings, run.fixed_findings) == (0, 0)


def test_an_accepted_finding_stays_accepted_when_its_vulnerability_is_renamed(personas: Any) -> None:
    ghsa = copy.deepcopy(GHSA_DJANGO)
    ghsa["aliases"] = []
    with time_machine.travel(MONDAY, tick=False):
        load_advisories(osv(ghsa))
        inventory(PIP_INSPECT)
        accept_finding(
            actor=personas["it_ivan"], finding=_finding("GHSA-vm8q-m57g-pff3"), exception=_exception(personas)
        )
        load_advisories(osv(PYSEC_DJANGO))
        run = run_patch_check(actor=None)

    kept = PatchFinding.objects.get()
    assert (kept.vulnerability_id, kept.status, run.reopened_findings) == ("CVE-2024-27351", "accepted", 0)


def test_a_full_check_and_a_per_asset_check_agree(advisories: Any) -> None:
    inventory(DPKG, release="debian:12", asset="erp-01")
    inventory(DPKG_UPGRADED, release="debian:12", asset="erp-02")
    inventory(PIP_INSPECT, asset="erp-02")
    before = set(PatchFinding.objects.values_list("asset__name", "package", "vulnerability_id", "state", "due_date"))

    full = run_patch_check(actor=None)
    per_asset = run_patch_check(actor=None, asset=Asset.objects.get(name="erp-02"))

    after = set(PatchFinding.objects.values_list("asset__name", "package", "vulnerability_id", "state", "due_date"))
    assert before == after
    assert (full.new_findings, full.fixed_findings, per_asset.new_findings) == (0, 0, 0)
    assert full.assets_checked == 2 and per_asset.assets_checked == 1
    assert per_asset.advisories_indexed < full.advisories_indexed  # only those naming erp-02's packages


def test_two_versions_of_one_package_are_one_finding() -> None:
    load_advisories(osv(GHSA_DJANGO))
    inventory("Django==4.2.10\n", asset="erp-01", scope="app-a")
    inventory("Django==3.2.24\n", asset="erp-01", scope="app-b")

    django = _finding("CVE-2024-27351")
    assert django.installed_version == "3.2.24, 4.2.10"
    assert django.fixed_in == "4.2.11"


def _exception(personas: Any, *, days: int = 30) -> ComplianceException:
    return ComplianceException.objects.create(
        title="Payroll server keeps OpenSSL 3.0.11 until the vendor certifies the update",
        control=Control.objects.create(ref="CTL-015", title="Monthly patching"),
        reason="Vendor certification pending",
        requested_by=personas["it_ivan"],
        approver=personas["officer_olga"],
        status=ComplianceException.Status.APPROVED,
        expires_on=MONDAY.date() + timedelta(days=days),
    )


def test_an_accepted_finding_is_not_overdue_until_its_exception_ends(advisories: Any, personas: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
        exception = _exception(personas, days=40)
        finding = _finding("CVE-2023-5363")
        with pytest.raises(PermissionDeniedError):
            accept_finding(actor=personas["owner_omar"], finding=finding, exception=exception)
        accepted = accept_finding(actor=personas["officer_olga"], finding=finding, exception=exception)
        assert (accepted.status, accepted.accepted_by, accepted.exception) == (
            "accepted",
            personas["officer_olga"],
            exception,
        )
        with pytest.raises(DomainError):
            accept_finding(actor=personas["officer_olga"], finding=finding, exception=exception)

    with time_machine.travel(MONDAY + timedelta(days=35), tick=False):
        run = run_patch_check(actor=None)
        assert _finding("CVE-2023-5363").status == "accepted"
        assert run.overdue_findings == 0
    with time_machine.travel(MONDAY + timedelta(days=41), tick=False):
        run = run_patch_check(actor=None)
    reopened = _finding("CVE-2023-5363")
    assert (reopened.status, reopened.due_date) == ("open", date(2025, 4, 2))
    assert (run.reopened_findings, run.overdue_findings) == (1, 1)


def test_only_an_exception_in_force_accepts(advisories: Any, personas: Any) -> None:
    inventory(DPKG, release="debian:12")
    requested = _exception(personas)
    requested.status = ComplianceException.Status.REQUESTED
    requested.save()

    with pytest.raises(ValidationError) as refused:
        accept_finding(actor=personas["it_ivan"], finding=_finding("CVE-2023-5363"), exception=requested)
    assert "exception" in refused.value.message_dict


def test_new_critical_findings_are_mailed_once_to_it_administrators(personas: Any) -> None:
    critical = copy.deepcopy(DEBIAN_OPENSSL)
    critical["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    load_advisories(osv(critical))
    run = inventory(DPKG, release="debian:12").check
    assert run is not None and run.new_critical == 1

    sent = mail_new_critical_findings()
    again = mail_new_critical_findings()

    assert (sent.recipients, sent.findings, again.findings) == (1, 1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [personas["it_ivan"].email]
    assert (
        "erp-01: openssl 3.0.11-1~deb12u1 (Debian:12), CVE-2023-5363, fixed in 3.0.11-1~deb12u2" in mail.outbox[0].body
    )


def test_each_run_is_recorded_with_its_counts(advisories: Any, personas: Any) -> None:
    inventory(DPKG, release="debian:12")
    with pytest.raises(PermissionDeniedError):
        run_patch_check(actor=personas["officer_olga"])

    run = run_patch_check(actor=personas["it_ivan"], via="test")

    stored = PatchCheckRun.objects.get(pk=run.pk)
    assert (stored.actor, stored.via, stored.assets_checked, stored.packages_checked) == (
        personas["it_ivan"],
        "test",
        1,
        6,
    )
    assert (stored.open_findings, stored.new_findings, stored.compliance) == (3, 0, 100.0)


def test_inactive_assets_are_left_out_of_checks_and_figures(advisories: Any) -> None:
    inventory(DPKG, release="debian:12")
    Asset.objects.update(is_active=False)

    run = run_patch_check(actor=None)

    assert (run.assets_checked, run.open_findings) == (0, 0)


def test_standard_advisories_are_idempotent() -> None:
    standard_advisories()
    assert standard_advisories().created == 0
