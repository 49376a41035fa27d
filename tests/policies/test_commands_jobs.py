"""The commands (a contract: their names and options), the daily job, the evidence, the demo seeder."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from core.evidence import collect_evidence
from core.seeding import SeedContext
from governance.models import Asset
from policies.evidence import patch_evidence
from policies.jobs import patch_check as patch_check_job
from policies.models import Advisory, Inventory, PatchCheckRun, PatchFinding
from policies.seed_patching import seed_demo_patch_checks
from tests.policies.conftest import DPKG, NPM_LOCK, inventory
from tests.policies.patching.records import DEBIAN_OPENSSL, DEBIAN_TRACKER, GHSA_DJANGO, PYSEC_DJANGO

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    folder = tmp_path / "advisories"
    (folder / "osv").mkdir(parents=True)
    for record in (GHSA_DJANGO, PYSEC_DJANGO, DEBIAN_OPENSSL):
        (folder / "osv" / f"{record['id']}.json").write_text(json.dumps(record))
    (folder / "debian-security-tracker.json").write_text(json.dumps(DEBIAN_TRACKER))
    return folder


def test_the_three_commands_import_and_print_open_findings_as_json(tmp_path: Path, feed: Path) -> None:
    dpkg = tmp_path / "dpkg.txt"
    dpkg.write_text(DPKG)
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps(NPM_LOCK))

    with time_machine.travel(MONDAY, tick=False):
        assert "new" in _call("import_advisories", str(feed))
        assert "Read 7 advisories: 0 new, 0 updated, 7 unchanged" in _call("import_advisories", str(feed))
        imported = _call(
            "import_inventory", "--asset", "erp-01", str(dpkg), "--format", "dpkg", "--release", "debian:12"
        )
        _call("import_inventory", "--asset", "intranet", str(lock))
        output = _call("patch_check", "--json")

    assert "Imported 6 packages for erp-01; 3 new finding(s)" in imported
    findings = json.loads(output)
    assert len(findings) == 3
    by_vulnerability = {f["vulnerability"]: f for f in findings}
    openssl = by_vulnerability["CVE-2023-5363"]
    assert {"asset", "package", "installed_version", "advisory", "aliases", "severity", "due_date"} <= set(openssl)
    assert (openssl["asset"], openssl["package"], openssl["installed_version"]) == (
        "erp-01",
        "openssl",
        "3.0.11-1~deb12u1",
    )
    assert openssl["advisory"] == "DEBIAN-CVE-2023-5363"
    assert openssl["advisories"] == ["DEBIAN-CVE-2023-5363", "DSA-5532-1"]
    assert openssl["aliases"] == ["CVE-2023-5363", "DEBIAN-CVE-2023-5363", "DSA-5532-1"]
    assert (openssl["severity"], openssl["due_date"], openssl["fixed_in"]) == (
        "unknown",
        "2025-04-02",
        "3.0.11-1~deb12u2",
    )
    only = json.loads(_call("patch_check", "--asset", "intranet", "--json"))
    assert only == []  # lodash has no advisory in this feed
    assert "Checked 2 asset(s)" in _call("patch_check")


def test_command_errors_are_clear_and_change_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("openssl\t3.0.11-1~deb12u1\n")
    with pytest.raises(CommandError, match="line 1: expected 4 tab-separated columns, got 2"):
        _call("import_inventory", "--asset", "erp-01", str(bad), "--format", "dpkg", "--release", "debian:12")
    with pytest.raises(CommandError, match="release"):
        _call("import_inventory", "--asset", "erp-01", str(tmp_path / "bad.txt"), "--format", "dpkg")
    with pytest.raises(CommandError, match="No advisory file or folder"):
        _call("import_advisories", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="No asset named"):
        _call("patch_check", "--asset", "nowhere")
    with pytest.raises(CommandError, match="No active user"):
        _call("patch_check", "--actor", "nobody@example.test")
    assert not Asset.objects.exists()


def test_commands_act_as_the_given_actor_with_their_permissions(personas: Any, tmp_path: Path, feed: Path) -> None:
    with pytest.raises(CommandError, match="permission"):
        _call("import_advisories", str(feed), "--actor", personas["officer_olga"].email)
    _call("import_advisories", str(feed), "--actor", personas["it_ivan"].email)
    assert Advisory.objects.count() == 7


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs dpkg-query (Debian)")
def test_collect_inventory_reads_this_host() -> None:
    output = _call("collect_inventory", "--asset", "rampart-host")

    current = Inventory.objects.filter(asset__name="rampart-host", is_current=True)
    assert set(current.values_list("format", flat=True)) == {"dpkg", "pip"}
    pip = current.get(format="pip")
    assert pip.packages.filter(match_name="django").exists()  # Rampart's own environment
    assert current.get(format="dpkg").packages.filter(name="dpkg").exists()
    assert "dpkg: Imported" in output and "pip: Imported" in output


def test_the_daily_job_imports_the_folder_checks_and_mails_new_critical_findings(
    personas: Any, settings: Any, feed: Path
) -> None:
    record = dict(DEBIAN_OPENSSL)
    record["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
    record["modified"] = "2024-01-01T00:00:00Z"
    (feed / "osv" / "DSA-5532-1.json").write_text(json.dumps(record))
    settings.RAMPART_ADVISORY_DIR = str(feed)
    inventory(DPKG, release="debian:12")  # no advisories yet: no finding

    output = patch_check_job(None)

    assert "Advisories from" in output and "7 new" in output
    assert "Checked 1 asset(s): 3 new, 0 fixed, 0 overdue, 3 open" in output
    assert "Mailed 1 IT administrator(s) about 1 new critical finding(s)." in output
    assert len(mail.outbox) == 1 and "CVE-2023-5363" in mail.outbox[0].body
    second = patch_check_job(None)
    assert "Mailed" not in second and "0 new" in second
    assert PatchCheckRun.objects.filter(via="job").count() == 2


def test_evidence_reports_the_latest_check_and_today(advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
        call_command("patch_check", stdout=io.StringIO())
    with time_machine.travel(MONDAY + timedelta(days=31), tick=False):
        summary = patch_evidence()
        provided = {p.provider: p for p in collect_evidence(date(2025, 3, 1), date(2025, 4, 30))}

    assert summary["latest_check"]["assets_checked"] == 1
    assert summary["latest_check"]["new_findings"] == 0  # the import found them first
    assert summary["now"]["overdue_findings"] == 1
    assert summary["now"]["open_by_severity"] == {"unknown": 1, "low": 1, "medium": 1}
    assert summary["most_overdue_assets"] == [{"asset_id": Asset.objects.get().pk, "asset": "erp-01", "overdue": 1}]
    assert summary["sla_days"]["critical"] == 15
    items = provided["policies.patch_checks"].items
    assert [item["kind"] for item in items] == ["patch-check", "patch-compliance"]
    assert items[0]["date"] == "2025-03-03" and items[1]["status"] == "attention"
    json.dumps(items)  # plain data


def test_the_demo_seeder_is_idempotent(personas: Any) -> None:
    context = SeedContext(write=lambda _: None, shared={"personas": {"it_ivan": personas["it_ivan"]}})
    seed_demo_patch_checks(context)
    findings = PatchFinding.objects.filter(asset__name="ERP").count()
    seed_demo_patch_checks(SeedContext(write=lambda _: None, shared={"personas": {"it_ivan": personas["it_ivan"]}}))

    assert findings >= 4
    assert PatchFinding.objects.filter(asset__name="ERP").count() == findings
    assert Inventory.objects.filter(asset__name="ERP").count() == 2
    glibc = PatchFinding.objects.get(asset__name="ERP", package="glibc")
    assert glibc.known_exploited and glibc.due_date == glibc.first_seen + timedelta(days=14)
    assert PatchFinding.objects.filter(asset__name="ERP", due_date__lt=date.today()).exists()  # noqa: DTZ011
