"""Accepted risks over time: the register filter and the counts behind the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from governance.models import Risk
from governance.selectors.risks import acceptance_counts
from governance.services.risks import RiskData, create_risk
from tests.governance.risks.conftest import in_days, make_risk

pytestmark = pytest.mark.django_db


def _accepted(ref: str, expires_in: int, **fields: Any) -> Risk:
    return make_risk(
        ref,
        inherent=(3, 3),
        residual=(2, 2),
        treatment=Risk.Treatment.ACCEPT,
        acceptance_expires_on=in_days(expires_in),
        **fields,
    )


@pytest.fixture
def acceptances(personas: Any) -> dict[str, Risk]:
    alice, omar = personas["admin_alice"], personas["owner_omar"]
    return {
        "lapsed": _accepted("RSK-LAPSED", -1, accepted_by=alice, owner=omar),
        "today": _accepted("RSK-TODAY", 0, accepted_by=alice),
        "soon": _accepted("RSK-SOON", 30, accepted_by=alice),
        "later": _accepted("RSK-LATER", 31, accepted_by=alice),
        "closed": _accepted("RSK-CLOSED", -10, accepted_by=alice, status=Risk.Status.CLOSED),
        "mitigated": make_risk("RSK-MITIGATED", review_date=in_days(-5)),
    }


def _refs(client: Any, query: str) -> list[str]:
    body = client.get(f"/api/v1/risks/?{query}&sort=ref").json()
    return [row["ref"] for row in body["results"]]


def test_the_register_filters_expired_and_ending_acceptances(personas: Any, acceptances: Any) -> None:
    client = personas.client("officer_olga")
    # An acceptance holds through its expiry date.
    assert _refs(client, "acceptance=expired") == ["RSK-CLOSED", "RSK-LAPSED"]
    assert _refs(client, "acceptance=expired&status=open") == ["RSK-LAPSED"]
    assert _refs(client, "acceptance=expiring") == ["RSK-SOON", "RSK-TODAY"]
    page = client.get(reverse("governance:risk_list"), {"acceptance": "expired", "status": "open"}).content.decode()
    assert "RSK-LAPSED" in page and "RSK-TODAY" not in page and "RSK-MITIGATED" not in page
    assert 'badge text-bg-danger">Acceptance expired' in page
    # An unknown value is ignored, not an error.
    refused = client.get("/api/v1/risks/?acceptance=someday")
    assert refused.status_code == 400 and "acceptance" in refused.json()
    page = client.get(reverse("governance:risk_list"), {"acceptance": "someday"})
    assert page.context["listing"].errors.keys() == {"acceptance"}
    assert len(page.context["listing"].rows) == 6  # the bad filter is named and left out


def test_counts_cover_open_risks_the_user_may_see(personas: Any, acceptances: Any) -> None:
    assert acceptance_counts(personas["officer_olga"]) == {"expired": 1, "expiring": 2}
    # Omar owns only the lapsed one.
    assert acceptance_counts(personas["owner_omar"]) == {"expired": 1, "expiring": 0}


def test_an_acceptance_lapses_by_itself_the_day_after_it_ends(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    risk = create_risk(
        actor=olga,
        data=RiskData(title="Old ERP", owner=omar, treatment=Risk.Treatment.ACCEPT, acceptance_expires_on=in_days(10)),
    )
    assert acceptance_counts(olga) == {"expired": 0, "expiring": 1}
    detail = reverse("governance:risk_detail", kwargs={"pk": risk.pk})
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        assert acceptance_counts(olga) == {"expired": 0, "expiring": 1}
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        assert acceptance_counts(olga) == {"expired": 1, "expiring": 0}
        page = personas.client("owner_omar").get(detail).content.decode()
        assert 'badge text-bg-danger">Acceptance expired' in page
        assert "ask a risk manager to renew" in page


def test_the_dashboard_counts_them_and_links_to_the_register(personas: Any, acceptances: Any) -> None:
    response = personas.client("officer_olga").get(reverse("governance:dashboard"))
    html = response.content.decode()
    assert response.context["risks"]["acceptances"] == {"expired": 1, "expiring": 2}
    assert 'data-testid="acceptances-expired">1<' in html
    assert 'data-testid="acceptances-expiring">2<' in html
    register = reverse("governance:risk_list")
    assert f'href="{register}?status=open&amp;acceptance=expired"' in html
    # The link opens exactly the counted risks.
    listed = personas.client("officer_olga").get(register, {"status": "open", "acceptance": "expired"})
    assert [r.ref for r in listed.context["listing"].page.object_list] == ["RSK-LAPSED"]


def test_the_owner_finds_his_lapsed_acceptance_and_due_review_on_his_home_page(personas: Any, acceptances: Any) -> None:
    mitigated = acceptances["mitigated"]
    mitigated.owner = personas["owner_omar"]
    mitigated.save()
    html = personas.client("owner_omar").get(reverse("home")).content.decode()
    assert 'data-testid="home-risks-lapsed"' in html and "RSK-LAPSED" in html
    assert 'data-testid="home-risks-review"' in html and "RSK-MITIGATED" in html
    assert "RSK-SOON" not in html  # Alice's acceptance of someone else's risk
    # Someone with no risk of their own sees no such section.
    assert "Your risks" not in personas.client("it_ivan").get(reverse("home")).content.decode()
