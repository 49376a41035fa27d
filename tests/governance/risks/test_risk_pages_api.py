"""Risk pages and API: owners see only their own risks; bad input never gives a 500; CSV export."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.urls import reverse

from governance.models import Risk
from tests.governance.risks.conftest import in_days, make_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_owners(personas: Any) -> tuple[Risk, Risk]:
    mine = make_risk("RSK-OMAR", owner=personas["owner_omar"], title="Omar's laptop fleet", inherent=(3, 3))
    theirs = make_risk("RSK-IVAN", owner=personas["it_ivan"], title="Ivan's firewall")
    return mine, theirs


def test_a_control_owner_sees_only_their_risks_in_pages(personas: Any, two_owners: Any) -> None:
    mine, theirs = two_owners
    client = personas.client("owner_omar")
    listing = client.get(reverse("governance:risk_list")).content.decode()
    assert "RSK-OMAR" in listing and "RSK-IVAN" not in listing
    assert client.get(reverse("governance:risk_detail", kwargs={"pk": mine.pk})).status_code == 200
    assert client.get(reverse("governance:risk_detail", kwargs={"pk": theirs.pk})).status_code == 404
    assert client.get(reverse("governance:risk_edit", kwargs={"pk": theirs.pk})).status_code == 404
    exported = client.get(reverse("governance:risk_export")).getvalue().decode()
    assert "RSK-OMAR" in exported and "RSK-IVAN" not in exported
    # IT administrators see every risk but change none they do not own.
    ivan = personas.client("it_ivan")
    assert ivan.get(reverse("governance:risk_detail", kwargs={"pk": mine.pk})).status_code == 200
    assert ivan.get(reverse("governance:risk_edit", kwargs={"pk": mine.pk})).status_code == 403


def test_a_control_owner_sees_only_their_risks_in_the_api(personas: Any, two_owners: Any) -> None:
    mine, theirs = two_owners
    client = personas.client("owner_omar")
    body = client.get("/api/v1/risks/").json()
    assert [r["ref"] for r in body["results"]] == ["RSK-OMAR"]
    assert client.get(f"/api/v1/risks/{theirs.pk}/").status_code == 404
    patch = client.patch(f"/api/v1/risks/{theirs.pk}/", {"title": "Mine"}, content_type="application/json")
    assert patch.status_code == 404
    ok = client.patch(f"/api/v1/risks/{mine.pk}/", {"residual_likelihood": 2}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["residual_score"] == 2
    steal = client.patch(
        f"/api/v1/risks/{mine.pk}/", {"owner": personas["it_ivan"].pk}, content_type="application/json"
    )
    assert steal.status_code == 403
    assert client.post("/api/v1/risks/", {"title": "New"}, content_type="application/json").status_code == 403
    assert personas.client("employee_emil").get("/api/v1/risks/").status_code == 403


def test_owner_edits_their_risk_in_the_page_without_manager_fields(personas: Any, two_owners: Any) -> None:
    mine, _ = two_owners
    client = personas.client("owner_omar")
    url = reverse("governance:risk_edit", kwargs={"pk": mine.pk})
    form = client.get(url).content.decode()
    assert 'name="accepted_by"' not in form and 'name="owner"' not in form
    response = client.post(
        url,
        {
            "title": "Laptop fleet theft",
            "inherent_likelihood": "3",
            "inherent_impact": "4",
            "residual_likelihood": "2",
            "residual_impact": "2",
            "treatment": "mitigate",
        },
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.inherent_score, mine.residual_score, mine.owner) == (
        "Laptop fleet theft",
        12,
        4,
        personas["owner_omar"],
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "Select a valid choice"), ("9", "Select a valid choice"), ("", "This field is required")],
)
def test_bad_levels_in_the_page_are_field_errors(personas: Any, value: str, message: str) -> None:
    response = personas.client("officer_olga").post(
        reverse("governance:risk_create"),
        {
            "title": "x",
            "inherent_likelihood": value,
            "inherent_impact": "1",
            "residual_likelihood": "1",
            "residual_impact": "1",
            "treatment": "mitigate",
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="id_inherent_likelihood_error"' in response.content.decode()
    assert not Risk.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "inherent_likelihood": "abc"}, "inherent_likelihood"),
        ({"title": "x", "inherent_likelihood": 9}, "inherent_likelihood"),
        ({"title": "x", "residual_impact": -1}, "residual_impact"),
        ({"title": "x", "treatment": "ignore"}, "treatment"),
        ({"title": "x", "treatment": "accept"}, "acceptance_expires_on"),
        ({"title": "x", "treatment": "accept", "acceptance_expires_on": "2999-01-01", "accepted_by": 1}, "accepted_by"),
        ({"title": "x", "acceptance_expires_on": "tomorrow"}, "acceptance_expires_on"),
        ({"title": "x", "assets": ["a"]}, "assets"),
    ],
)
def test_bad_input_in_the_api_is_a_400_naming_the_field(personas: Any, payload: dict[str, Any], field: str) -> None:
    response = personas.client("officer_olga").post("/api/v1/risks/", payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_accepting_in_the_page(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    data = {
        "title": "Legacy ERP",
        "owner": str(olga.pk),
        "inherent_likelihood": "3",
        "inherent_impact": "3",
        "residual_likelihood": "3",
        "residual_impact": "3",
        "treatment": "accept",
        "acceptance_expires_on": in_days(60).isoformat(),
    }
    form = personas.client("officer_olga").get(reverse("governance:risk_create")).content.decode()
    assert 'name="acceptance_expires_on"' in form and 'name="accepted_by"' not in form
    assert "records you as its approver" in form
    refused = personas.client("officer_olga").post(reverse("governance:risk_create"), data)
    assert refused.status_code == 400
    assert "cannot accept their own risk" in refused.content.decode()
    assert not Risk.objects.exists()
    # A posted approver is ignored by the page: whoever accepts is the approver.
    done = personas.client("admin_alice").post(reverse("governance:risk_create"), {**data, "accepted_by": str(olga.pk)})
    assert done.status_code == 302
    risk = Risk.objects.get()
    assert (risk.accepted_by, risk.owner) == (alice, olga)
    page = personas.client("officer_olga").get(reverse("governance:risk_detail", kwargs={"pk": risk.pk})).content
    assert "Alice Admin" in page.decode()


def test_bulk_owner_moves_object_permissions(personas: Any) -> None:
    risks = [make_risk(f"RSK-{i}") for i in range(3)]
    omar = personas["owner_omar"]
    response = personas.client("officer_olga").post(
        reverse("governance:risk_bulk_owner"), {"ids": [risks[0].pk, risks[2].pk, "x"], "owner": str(omar.pk)}
    )
    assert response.status_code == 302
    listing = personas.client("owner_omar").get(reverse("governance:risk_list")).content.decode()
    assert "RSK-0" in listing and "RSK-2" in listing and "RSK-1" not in listing
    api = personas.client("officer_olga").post(
        "/api/v1/risks/bulk-owner/", {"ids": [r.pk for r in risks], "owner": None}, content_type="application/json"
    )
    assert api.json() == {"changed": 2}


def test_csv_export_content(personas: Any, payroll: Any) -> None:
    make_risk(
        "RSK-CSV",
        title='=HYPERLINK("http://evil")',
        inherent=(4, 5),
        residual=(2, 3),
        assets=(payroll,),
        treatment="transfer",
        treatment_plan="Insurance",
        owner=personas["owner_omar"],
    )
    make_risk("RSK-LOW", inherent=(1, 1), residual=(1, 1))
    response = personas.client("officer_olga").get(reverse("governance:risk_export"), {"band": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="risks.csv"'
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["Reference"] == "RSK-CSV"
    assert row["Title"].startswith("'=HYPERLINK")
    assert (row["Inherent score"], row["Residual score"], row["Residual band"]) == ("20", "6", "Medium")
    assert (row["Inherent likelihood"], row["Residual impact"]) == ("Likely", "Moderate")
    assert (row["Assets"], row["Owner"], row["Treatment"]) == ("Payroll", "owner_omar@example.test", "Transfer")


def test_list_filters_and_sorts(personas: Any) -> None:
    make_risk("RSK-A", inherent=(5, 5), residual=(1, 2), review_date=in_days(-1))
    make_risk("RSK-B", inherent=(2, 2), residual=(4, 4), treatment="avoid")
    client = personas.client("officer_olga")

    def refs(**params: str) -> list[str]:
        html = client.get(reverse("governance:risk_list"), params).content.decode()
        return re.findall(r">(RSK-[A-Z])</a>", html)

    assert refs() == ["RSK-B", "RSK-A"]  # highest residual first
    assert refs(sort="-inherent") == ["RSK-A", "RSK-B"]
    assert refs(treatment="avoid") == ["RSK-B"]
    assert refs(review="overdue") == ["RSK-A"]
    assert refs(q="RSK-A") == ["RSK-A"]
