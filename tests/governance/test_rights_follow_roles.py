"""Issue 10, item 2: rights follow roles at once, and one service decides who may own.

The attacks: owner_omar, changed to Auditor only, could still PATCH his control through
the API, record its tests and open its edit page (the object permissions granted as owner
survived the role change); and the API's ``assign-owner`` and ``bulk-owner`` accepted an
Auditor or an Employee as a control's owner, which the page refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from access.models import Role
from access.services import change_user_roles
from governance.models import Control, Risk
from governance.scoping import hand_over_object_perms
from tests.api.conftest import post_json, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def omars_control(personas: Any) -> Control:
    control = Control.objects.create(ref="CTL-ROLE", title="Owned by Omar", owner=personas["owner_omar"])
    hand_over_object_perms(obj=control, previous=None, new=personas["owner_omar"])
    return control


def test_a_control_owner_changed_to_auditor_loses_his_controls_at_once(personas: Any, omars_control: Control) -> None:
    omar = personas["owner_omar"]
    api, _ = token_client(omar)
    detail = f"/api/v1/controls/{omars_control.pk}/"
    assert api.get(detail).status_code == 200

    change_user_roles(actor=personas["admin_alice"], user=omar, roles=[Role.AUDITOR])

    api, _ = token_client(omar)  # a fresh token: the old one is revoked
    assert api.patch(detail, {"title": "Changed"}, content_type="application/json").status_code in (403, 404)
    test = {"result": "pass", "performed_on": str(timezone.localdate())}
    assert post_json(api, "/api/v1/control-tests/", {"control": omars_control.pk, **test}).status_code in (
        400,
        403,
        404,
    )
    page = personas.client("owner_omar")
    assert page.get(reverse("governance:control_edit", args=[omars_control.pk])).status_code in (403, 404)
    assert page.post(reverse("governance:control_record_test", args=[omars_control.pk]), test).status_code in (
        403,
        404,
    )
    omars_control.refresh_from_db()
    assert omars_control.title == "Owned by Omar"
    assert not omars_control.tests.exists()
    assert get_perms(omar, omars_control) == []


def test_object_permissions_left_in_place_do_not_count_without_the_role(personas: Any, omars_control: Control) -> None:
    """Checked on every request: even a grant that was never removed (a role given and taken
    behind the services' back) stops counting when the role goes."""
    omar = personas["owner_omar"]
    omar.groups.clear()
    omar.groups.add(personas["auditor_aude"].groups.get())
    api, _ = token_client(omar)
    assert "change_control" in get_perms(omar, omars_control)

    response = api.patch(f"/api/v1/controls/{omars_control.pk}/", {"title": "X"}, content_type="application/json")

    assert response.status_code in (403, 404)
    assert Control.objects.get(pk=omars_control.pk).title == "Owned by Omar"


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil"])
def test_the_api_refuses_an_owner_the_page_refuses(personas: Any, omars_control: Control, persona: str) -> None:
    api, _ = token_client(personas["officer_olga"])
    person = personas[persona]

    one = post_json(api, f"/api/v1/controls/{omars_control.pk}/assign-owner/", {"owner": person.pk})
    many = post_json(api, "/api/v1/controls/bulk-owner/", {"ids": [omars_control.pk], "owner": person.pk})

    for response in (one, many):
        assert response.status_code == 400, response.content
        assert "may not own controls" in str(response.json()["owner"])
    omars_control.refresh_from_db()
    assert omars_control.owner == personas["owner_omar"]
    assert get_perms(person, omars_control) == []


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil"])
def test_the_page_and_the_api_refuse_such_an_owner_for_risks_too(personas: Any, persona: str) -> None:
    risk = Risk.objects.create(ref="RSK-ROLE", title="A risk")
    api, _ = token_client(personas["officer_olga"])

    response = post_json(api, f"/api/v1/risks/{risk.pk}/assign-owner/", {"owner": personas[persona].pk})

    assert response.status_code == 400
    assert "may not own risks" in str(response.json()["owner"])
    assert Risk.objects.get(pk=risk.pk).owner is None


def test_the_control_bulk_owner_page_says_why(personas: Any, omars_control: Control) -> None:
    client = personas.client("officer_olga")
    response = client.post(
        reverse("governance:control_bulk_owner"),
        {"owner": personas["auditor_aude"].pk, "ids": [omars_control.pk]},
        follow=True,
    )
    assert "may not own controls" in response.content.decode()
    assert Control.objects.get(pk=omars_control.pk).owner == personas["owner_omar"]


def test_a_control_owner_may_still_be_made_owner(personas: Any, omars_control: Control) -> None:
    api, _ = token_client(personas["officer_olga"])
    olga = personas["officer_olga"]
    response = post_json(api, f"/api/v1/controls/{omars_control.pk}/assign-owner/", {"owner": olga.pk})
    assert response.status_code == 200
    assert set(get_perms(olga, omars_control)) == {"view_control", "change_control"}
