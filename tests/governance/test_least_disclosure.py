"""Issue 10, item 9: least disclosure.

The attacks: a Control owner learned other users' email addresses through ``imported_by`` in
the frameworks CSV and API, and through the testers in the control-tests CSV; and he saw the
titles of controls he may not open when they were linked to his risk. Names are now shown
only to those who may see users (``access.view_user``, or a global permission to assign
owners); anyone else sees their own and ``(another user)``. Linked controls he may not open
are masked.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Control, ControlTest, Framework, Risk
from governance.scoping import hand_over_object_perms
from governance.selectors.pickers import HIDDEN_PERSON
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def world(personas: Any) -> dict[str, Any]:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    framework = Framework.objects.create(key="disclosed", name="Disclosed", imported_by=olga, owner=olga)
    mine = Control.objects.create(ref="CTL-MINE", title="Mine", owner=omar, status=Control.Status.IMPLEMENTED)
    hand_over_object_perms(obj=mine, previous=None, new=omar)
    secret = Control.objects.create(ref="CTL-SECRET", title="Secret payroll safeguard", owner=olga)
    ControlTest.objects.create(
        control=mine, due_date=timezone.localdate(), tester=olga, result="pass", performed_on=timezone.localdate()
    )
    ControlTest.objects.create(control=mine, due_date=timezone.localdate(), assignee=omar)
    risk = Risk.objects.create(ref="RSK-MINE", title="My risk", owner=omar)
    risk.controls.add(mine, secret)
    hand_over_object_perms(obj=risk, previous=None, new=omar)
    return {"framework": framework, "mine": mine, "secret": secret, "risk": risk}


def test_the_frameworks_csv_and_api_name_nobody_to_a_control_owner(personas: Any, world: Any) -> None:
    olga_email = personas["officer_olga"].email
    rows = _csv(personas.client("owner_omar").get(reverse("governance:framework_export")))
    assert rows and rows[0]["imported_by"] == HIDDEN_PERSON and rows[0]["owner"] == HIDDEN_PERSON
    api, _ = token_client(personas["owner_omar"])
    body = api.get("/api/v1/frameworks/").content.decode()
    assert olga_email not in body
    assert HIDDEN_PERSON in body


def test_those_who_may_see_users_still_see_the_names(personas: Any, world: Any) -> None:
    olga_email = personas["officer_olga"].email
    for persona in ("officer_olga", "admin_alice", "it_ivan"):
        rows = _csv(personas.client(persona).get(reverse("governance:framework_export")))
        assert rows[0]["imported_by"] == olga_email, persona
    api, _ = token_client(personas["it_ivan"])
    assert api.get("/api/v1/frameworks/").json()["results"][0]["imported_by"] == olga_email


def test_the_control_tests_csv_names_only_himself_to_a_control_owner(personas: Any, world: Any) -> None:
    omar = personas["owner_omar"]
    rows = _csv(personas.client("owner_omar").get(reverse("governance:control_test_csv")))
    assert {row["Tester"] for row in rows} == {HIDDEN_PERSON, ""}
    assert {row["Assigned to"] for row in rows} == {omar.email, ""}
    assert {row["Control owner"] for row in rows} == {omar.email}
    assert personas["officer_olga"].email not in str(rows)
    officer_rows = _csv(personas.client("officer_olga").get(reverse("governance:control_test_csv")))
    assert personas["officer_olga"].email in {row["Tester"] for row in officer_rows}


def test_a_linked_control_he_may_not_open_is_masked_on_his_risk(personas: Any, world: Any) -> None:
    client = personas.client("owner_omar")
    page = client.get(reverse("governance:risk_detail", args=[world["risk"].pk])).content.decode()
    assert "CTL-MINE" in page and "Mine" in page
    assert "Secret payroll safeguard" not in page and "CTL-SECRET" not in page
    assert "A control you may not open" in page
    rows = _csv(client.get(reverse("governance:risk_export")))
    assert "CTL-SECRET" not in rows[0]["Controls"] and "CTL-MINE" in rows[0]["Controls"]
    officer = personas.client("officer_olga").get(reverse("governance:risk_detail", args=[world["risk"].pk]))
    assert "Secret payroll safeguard" in officer.content.decode()
