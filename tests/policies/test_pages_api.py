"""Patch pages and API: upload, findings with their filters and CSV, the asset's status, the SLA, tokens."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import Asset
from policies.models import Inventory, PatchFinding
from tests.api.conftest import token_client
from tests.policies.conftest import DPKG, PIP_INSPECT, inventory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
FINDINGS = "/api/v1/patch-findings/"
INVENTORIES = "/api/v1/inventories/"


def _upload(client: Any, text: str, **fields: str) -> Any:
    upload = SimpleUploadedFile("dpkg.txt", text.encode(), content_type="text/plain")
    return client.post(reverse("policies:inventory_upload"), {"file": upload, **fields})


def test_it_administrator_uploads_an_inventory_and_sees_findings_with_due_dates(personas: Any, advisories: Any) -> None:
    client = personas.client("it_ivan")
    with time_machine.travel(MONDAY, tick=False):
        response = _upload(client, DPKG, asset="payroll-db", format="dpkg", release="debian:12")
        asset = Asset.objects.get(name="payroll-db")
        assert response.status_code == 302
        assert response["Location"] == reverse("policies:asset_patch_status", args=[asset.pk])
        page = client.get(response["Location"]).content.decode()

    assert "Imported 6 packages for payroll-db; 3 new finding(s)" in page
    assert "CVE-2023-5363" in page and "CVE-2024-0727" in page and "TEMP-0000000-ABCDEF" in page
    assert "2 Apr 2025" in page  # unknown severity, treated as high: 30 days
    assert "30 Aug 2025" in page  # low: 180 days
    assert "3.0.11-1~deb12u2" in page  # the version to install
    inventory_row = Inventory.objects.get(asset=asset)
    assert (inventory_row.uploaded_by, inventory_row.via, inventory_row.filename) == (
        personas["it_ivan"],
        "upload",
        "dpkg.txt",
    )


def test_a_malformed_upload_says_which_line_and_keeps_nothing(personas: Any) -> None:
    client = personas.client("it_ivan")

    response = _upload(client, "openssl\t3.0.11\n", asset="payroll-db", format="dpkg", release="debian:12")

    assert response.status_code == 400
    assert "line 1: expected 4 tab-separated columns, got 2" in response.content.decode()
    assert not Inventory.objects.exists()
    assert not Asset.objects.filter(name="payroll-db").exists()


def test_the_findings_page_filters_exports_and_shows_the_figures(personas: Any, advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12", asset="erp-01")
        inventory(PIP_INSPECT, asset="web-01")
    client = personas.client("officer_olga")
    url = reverse("policies:patch_findings")
    with time_machine.travel(MONDAY + timedelta(days=31), tick=False):
        page = client.get(url).content.decode()
        overdue = client.get(url, {"overdue": "yes"}).content.decode()
        low = client.get(url, {"severity": "low"}).content.decode()
        pypi = client.get(url, {"ecosystem": "PyPI"}).content.decode()
        web = client.get(url, {"asset": Asset.objects.get(name="web-01").pk}).content.decode()
        bad = client.get(url, {"severity": "dreadful"}).content.decode()
        export = client.get(reverse("policies:patch_finding_export"), {"ecosystem": "Debian"})
        rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]

    assert '<p class="display-6 mb-0"><a href="?overdue=yes" data-testid="overdue-findings">2</a></p>' in page
    assert 'data-testid="patch-compliance">50.0%' in page  # 2 of 4 findings past their due date
    assert "4 results" in page
    assert "2 results" in overdue and "CVE-2024-27351" in overdue and "CVE-2024-0727" not in overdue
    assert "1 result<" in low and "CVE-2024-0727" in low
    assert "1 result<" in pypi and "django" in pypi
    assert "1 result<" in web
    assert "Some filters could not be used" in bad and "dreadful" in bad
    assert {(r["Package"], r["Vulnerability"], r["Overdue"]) for r in rows} == {
        ("openssl", "CVE-2023-5363", "yes"),
        ("openssl", "CVE-2024-0727", "no"),
        ("sudo", "TEMP-0000000-ABCDEF", "no"),
    }
    assert rows[0]["Due"] and rows[0]["Asset"] == "erp-01"


def _findings(count: int, tag: str) -> None:
    asset = Asset.objects.create(name=f"host-{tag}")
    today = date(2025, 3, 3)
    PatchFinding.objects.bulk_create(
        PatchFinding(
            asset=asset,
            ecosystem="PyPI",
            package=f"pkg-{tag}-{i}",
            installed_version="1.0",
            vulnerability_id=f"CVE-2025-{i:05d}",
            advisory_ids=[f"GHSA-{tag}-{i}"],
            aliases=[f"CVE-2025-{i:05d}"],
            severity="high",
            first_seen=today,
            due_date=today + timedelta(days=30),
        )
        for i in range(count)
    )
    Inventory.objects.create(asset=asset, scope="pip", format="pip", is_current=True)


@pytest.mark.parametrize(
    "url",
    [
        reverse("policies:patch_findings"),
        reverse("policies:inventory_list"),
        reverse("policies:advisory_list"),
        FINDINGS,
        INVENTORIES,
    ],
)
def test_lists_cost_the_same_queries_with_one_row_and_with_fifty(
    personas: Any, django_assert_num_queries: Callable[..., Any], url: str
) -> None:
    client = personas.client("it_ivan")
    _findings(1, "one")
    client.get(url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _findings(49, "many")
    for i in range(49):
        Inventory.objects.create(asset=Asset.objects.get(name="host-many"), scope=f"s{i}", format="pip")
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_host_pushes_its_inventory_with_a_token(personas: Any, advisories: Any) -> None:
    client, _ = token_client(personas["it_ivan"])
    upload = SimpleUploadedFile("-", DPKG.encode())

    response = client.post(INVENTORIES, {"file": upload, "asset": "vm-17", "release": "debian:12"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["inventory"]["asset_name"], body["inventory"]["format"], body["inventory"]["package_count"]) == (
        "vm-17",
        "dpkg",
        6,
    )
    assert (body["inventory"]["via"], body["inventory"]["uploaded_by"]) == ("api", personas["it_ivan"].email)
    assert (body["check"]["new"], body["check"]["open"], body["check"]["overdue"]) == (3, 3, 0)

    again = client.post(
        INVENTORIES, {"file": SimpleUploadedFile("-", b"bash\t5.2\n"), "asset": "vm-17", "format": "dpkg"}
    )
    assert again.status_code == 400
    assert again.json()["location"] == "line 1"
    assert "expected 4 tab-separated columns" in again.json()["file"][0]
    assert Inventory.objects.filter(asset__name="vm-17").count() == 1


def test_a_token_of_someone_who_may_not_upload_is_refused(personas: Any) -> None:
    client, _ = token_client(personas["officer_olga"])
    response = client.post(INVENTORIES, {"file": SimpleUploadedFile("-", DPKG.encode()), "asset": "vm-17"})
    assert response.status_code == 403
    assert not Asset.objects.filter(name="vm-17").exists()


def test_the_findings_api_filters_and_names_a_bad_parameter(personas: Any, advisories: Any) -> None:
    inventory(DPKG, release="debian:12")
    client, _ = token_client(personas["officer_olga"])

    low = client.get(FINDINGS, {"severity": "low"}).json()
    bad = client.get(FINDINGS, {"overdue": "perhaps"})

    assert [r["vulnerability"] for r in low["results"]] == ["CVE-2024-0727"]
    finding = low["results"][0]
    assert (finding["advisory"], finding["aliases"], finding["package"]) == (
        "DEBIAN-CVE-2024-0727",
        ["CVE-2024-0727", "DEBIAN-CVE-2024-0727"],
        "openssl",
    )
    assert bad.status_code == 400
    assert "overdue" in bad.json()


def test_the_patch_policy_api_moves_due_dates(personas: Any, advisories: Any) -> None:
    with time_machine.travel(MONDAY, tick=False):
        inventory(DPKG, release="debian:12")
    client, _ = token_client(personas["it_ivan"])
    days = {"known_exploited_days": 7, "critical_days": 7, "high_days": 14, "medium_days": 60, "low_days": 90}

    response = client.put("/api/v1/patch-policy/", data=json.dumps(days), content_type="application/json")

    assert response.status_code == 200
    assert response.json()["high_days"] == 14
    assert PatchFinding.objects.get(vulnerability_id="CVE-2023-5363").due_date == date(2025, 3, 17)
    refused = client.put(
        "/api/v1/patch-policy/", data=json.dumps({**days, "low_days": -3}), content_type="application/json"
    )
    assert refused.status_code == 400 and "low_days" in refused.json()


def test_the_sla_page_saves_and_the_detail_pages_render(personas: Any, advisories: Any) -> None:
    result = inventory(DPKG, release="debian:12")
    client = personas.client("officer_olga")
    days = {"known_exploited_days": 10, "critical_days": 12, "high_days": 25, "medium_days": 80, "low_days": 150}

    saved = client.post(reverse("policies:patch_policy"), days)
    refused = client.post(reverse("policies:patch_policy"), {**days, "high_days": "soon"})

    assert saved.status_code == 302
    assert refused.status_code == 400 and "Enter a whole number." in refused.content.decode()
    finding = PatchFinding.objects.get(vulnerability_id="CVE-2023-5363")
    detail = client.get(reverse("policies:patch_finding_detail", args=[finding.pk])).content.decode()
    assert "DSA-5532-1" in detail and "Accept the risk" in detail
    assert "No approved exception is in force" in detail
    stored = client.get(reverse("policies:inventory_detail", args=[result.inventory.pk])).content.decode()
    assert "libssl3" in stored and "openssl 3.0.11-1~deb12u1" in stored
    advisories_page = client.get(reverse("policies:advisory_list"), {"source": "debian"}).content.decode()
    assert "DEBIAN-CVE-2024-0727" in advisories_page and "GHSA-vm8q-m57g-pff3" not in advisories_page


def test_navigation_shows_patches_to_those_who_may_read_them(personas: Any) -> None:
    patches = reverse("policies:patch_findings")
    for name, shown in [("it_ivan", True), ("officer_olga", True), ("owner_omar", False), ("employee_emil", False)]:
        home = personas.client(name).get(reverse("home")).content.decode()
        assert (f'href="{patches}"' in home) is shown, name
