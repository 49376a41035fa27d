"""Assets (IT administrators manage them; employees do not) and the findings flow."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.errors import DomainError, PermissionDeniedError
from governance.models import Asset, Finding
from governance.services import owners
from governance.services.assets import AssetData, create_asset, deactivate_asset, update_asset
from governance.services.findings import FindingData, close_finding, create_finding, reopen_finding, update_finding
from tests.governance.risks.conftest import in_days, make_risk

pytestmark = pytest.mark.django_db


def test_it_administrator_manages_assets(personas: Any) -> None:
    ivan = personas["it_ivan"]
    asset = create_asset(actor=ivan, data=AssetData(name="  Accounting (Sage)  ", kind=Asset.Kind.ACCOUNTING))
    assert asset.name == "Accounting (Sage)"
    update_asset(actor=ivan, asset=asset, data=AssetData.from_asset(asset).updated(criticality="critical", owner=ivan))
    deactivate_asset(actor=ivan, asset=asset)
    asset.refresh_from_db()
    assert (asset.criticality, asset.owner, asset.is_active) == ("critical", ivan, False)
    with pytest.raises(DomainError):
        deactivate_asset(actor=ivan, asset=asset)


def test_asset_names_are_unique_and_choices_checked(personas: Any) -> None:
    ivan = personas["it_ivan"]
    create_asset(actor=ivan, data=AssetData(name="CRM"))
    with pytest.raises(ValidationError) as caught:
        create_asset(actor=ivan, data=AssetData(name="CRM"))
    assert list(caught.value.message_dict) == ["name"]
    with pytest.raises(ValidationError) as caught:
        create_asset(actor=ivan, data=AssetData(name="ERP", kind="mainframe"))
    assert list(caught.value.message_dict) == ["kind"]


@pytest.mark.parametrize("name", ["employee_emil", "owner_omar", "auditor_aude"])
def test_others_may_not_manage_assets(personas: Any, name: str) -> None:
    with pytest.raises(PermissionDeniedError):
        create_asset(actor=personas[name], data=AssetData(name="Shadow IT"))


def test_asset_pages_for_ivan_and_not_for_emil(personas: Any, payroll: Asset) -> None:
    ivan = personas.client("it_ivan")
    created = ivan.post(
        reverse("governance:asset_create"),
        {"name": "File server", "kind": "file_server", "data_classification": "confidential", "criticality": "high"},
    )
    assert created.status_code == 302
    asset = Asset.objects.get(name="File server")
    assert ivan.get(reverse("governance:asset_detail", kwargs={"pk": asset.pk})).status_code == 200
    duplicate = ivan.post(
        reverse("governance:asset_create"),
        {"name": "Payroll", "kind": "hr", "data_classification": "internal", "criticality": "high"},
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.content.decode()
    emil = personas.client("employee_emil")
    assert emil.get(reverse("governance:asset_list")).status_code == 403
    assert emil.post(reverse("governance:asset_create"), {"name": "x"}).status_code == 403
    assert emil.get("/api/v1/assets/").status_code == 403
    api = personas.client("it_ivan").post(
        "/api/v1/assets/", {"name": "Website", "kind": "saas"}, content_type="application/json"
    )
    assert api.status_code == 201 and api.json()["open_risks"] == 0


def test_asset_detail_lists_its_risks(personas: Any, payroll: Asset) -> None:
    make_risk("RSK-PAY", assets=(payroll,), title="Payroll fraud")
    make_risk("RSK-OTHER", title="Unrelated")
    html = (
        personas.client("officer_olga")
        .get(reverse("governance:asset_detail", kwargs={"pk": payroll.pk}))
        .content.decode()
    )
    assert "RSK-PAY" in html and "RSK-OTHER" not in html
    listed = (
        personas.client("officer_olga").get(reverse("governance:risk_list"), {"asset": payroll.pk}).content.decode()
    )
    assert "RSK-PAY" in listed and "RSK-OTHER" not in listed


def test_bulk_owner_on_assets(personas: Any) -> None:
    ivan = personas["it_ivan"]
    assets = [Asset.objects.create(name=f"Laptop {i}") for i in range(3)]
    assert owners.bulk_assign(actor=ivan, kind=owners.ASSETS, objects=Asset.objects.all(), person=ivan) == 3
    assert owners.bulk_assign(actor=ivan, kind=owners.ASSETS, objects=Asset.objects.all(), person=ivan) == 0
    response = personas.client("it_ivan").post(
        reverse("governance:asset_bulk_owner"), {"ids": [assets[0].pk, assets[1].pk], "owner": ""}
    )
    assert response.status_code == 302
    assert list(Asset.objects.filter(owner=None).order_by("name").values_list("name", flat=True)) == [
        "Laptop 0",
        "Laptop 1",
    ]


def test_findings_flow(personas: Any, backup_control: Any) -> None:
    olga = personas["officer_olga"]
    risk = make_risk("RSK-0001")
    finding = create_finding(
        actor=olga,
        data=FindingData(title="Restore drill failed", control=backup_control, risk=risk, due_date=in_days(14)),
    )
    assert (finding.status, finding.raised_by) == ("open", olga)
    update_finding(actor=olga, finding=finding, data=FindingData.from_finding(finding).updated(status="in_remediation"))
    with pytest.raises(ValidationError) as caught:
        update_finding(actor=olga, finding=finding, data=FindingData.from_finding(finding).updated(status="closed"))
    assert list(caught.value.message_dict) == ["status"]
    closed = close_finding(actor=olga, finding=finding)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(DomainError):
        update_finding(actor=olga, finding=finding, data=FindingData.from_finding(finding).updated(title="x"))
    reopened = reopen_finding(actor=olga, finding=finding)
    assert (reopened.status, reopened.closed_at) == ("open", None)
    with pytest.raises(PermissionDeniedError):
        close_finding(actor=personas["it_ivan"], finding=finding)


def test_finding_pages(personas: Any, backup_control: Any) -> None:
    client = personas.client("officer_olga")
    response = client.post(
        reverse("governance:finding_create"),
        {"title": "No MFA on bank portal", "severity": "high", "status": "open", "control": "CTL-BACKUP"},
    )
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert finding.control == backup_control
    bad = client.post(
        reverse("governance:finding_create"), {"title": "x", "severity": "high", "status": "open", "risk": "RSK-404"}
    )
    assert bad.status_code == 400 and "No risk with reference" in bad.content.decode()
    assert client.post(reverse("governance:finding_close", kwargs={"pk": finding.pk})).status_code == 302
    assert Finding.objects.get().status == "closed"
    assert client.get(reverse("governance:finding_list"), {"status": "closed"}).status_code == 200
    api = client.post(f"/api/v1/findings/{finding.pk}/reopen/")
    assert api.status_code == 200 and api.json()["status"] == "open"
