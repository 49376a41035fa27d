"""Permission requests on one control or risk (page and API), and the access-request API."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from audits.models import LogEntry
from governance.models import Control, Risk
from reviews.models import AccessRequest
from tests.api.conftest import post_json, token_client


def _risk(ref: str = "RSK-42") -> Risk:
    return Risk.objects.create(
        ref=ref,
        title="Vendor lock-in",
        inherent_likelihood=2,
        inherent_impact=2,
        residual_likelihood=1,
        residual_impact=1,
    )


def test_a_control_owner_asks_on_the_page_to_change_a_control_and_an_approver_grants_it(personas: Any) -> None:
    control = Control.objects.create(ref="CTL-77", title="Payroll access")
    omar = personas["owner_omar"]
    client = personas.client("owner_omar")
    data = {"obj-kind": "control", "obj-ref": "ctl-77", "obj-action": "change", "obj-reason": "Cover", "obj-hours": 4}
    response = client.post(reverse("reviews:request_object_create"), data)
    assert response.status_code == 302
    asked = AccessRequest.objects.get(requester=omar)
    assert (asked.permission, asked.object_pk, asked.duration_hours) == (
        "governance.change_control",
        str(control.pk),
        4,
    )
    page = personas.client("it_ivan").get(reverse("reviews:access_requests")).content.decode()
    assert "governance.change_control on control CTL-77" in page
    assert not omar.has_perm("governance.change_control", control)
    decided = personas.client("it_ivan").post(reverse("reviews:request_decide", args=[asked.pk]), {"decision": "grant"})
    assert decided.status_code == 302
    assert client.get(reverse("governance:control_edit", args=[control.pk])).status_code == 200
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(AccessRequest), object_pk=str(asked.pk)
    ).latest("sequence")
    assert entry.actor == personas["it_ivan"]


def test_the_page_names_the_wrong_field(personas: Any) -> None:
    _risk()
    client = personas.client("owner_omar")
    url = reverse("reviews:request_object_create")
    base = {"obj-kind": "risk", "obj-ref": "RSK-42", "obj-action": "change", "obj-reason": "Cover", "obj-hours": 4}
    unknown = client.post(url, {**base, "obj-ref": "RSK-404"})
    assert unknown.status_code == 400
    assert unknown.context["object_form"].errors == {"ref": ["No risk has the reference 'RSK-404'."]}
    too_long = client.post(url, {**base, "obj-hours": 24 * 91})
    assert too_long.status_code == 400 and "hours" in too_long.context["object_form"].errors
    employee = personas.client("employee_emil").post(url, base)
    assert employee.status_code == 400
    assert "ask for a role instead" in employee.context["object_form"].errors["kind"][0]
    officer = personas.client("officer_olga").post(url, base)
    assert officer.context["object_form"].errors == {"action": ["You already hold this permission."]}
    assert not AccessRequest.objects.exists()


def test_api_ask_list_pending_approve_reject(personas: Any) -> None:
    risk = _risk()
    ivan, _ = token_client(personas["it_ivan"])
    omar, _ = token_client(personas["owner_omar"])
    alice, _ = token_client(personas["admin_alice"])
    body = {"kind": "risk", "ref": "RSK-42", "action": "change", "reason": "Scoring", "hours": 2}
    created = post_json(ivan, "/api/v1/access-requests/", body)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["object"] == {"kind": "risk", "id": str(risk.pk), "ref": "RSK-42"}
    assert (out["status"], out["permission"], out["hours"], out["expires_at"]) == (
        "pending",
        "governance.change_risk",
        2,
        None,
    )
    role = post_json(omar, "/api/v1/access-requests/", {"role": "IT administrator", "reason": "On call", "hours": 8})
    assert role.status_code == 201 and role.json()["object"] is None

    assert [r["id"] for r in omar.get("/api/v1/access-requests/").json()["results"]] == [role.json()["id"]]
    assert [r["id"] for r in ivan.get("/api/v1/access-requests/pending/").json()["results"]] == [role.json()["id"]]
    assert omar.get("/api/v1/access-requests/pending/").status_code == 403

    own = post_json(ivan, f"/api/v1/access-requests/{out['id']}/approve/", {})
    assert own.status_code == 403
    assert post_json(omar, f"/api/v1/access-requests/{out['id']}/approve/", {}).status_code == 404
    granted = post_json(alice, f"/api/v1/access-requests/{out['id']}/approve/", {"note": "Until Friday"})
    assert granted.status_code == 200, granted.content
    assert granted.json()["status"] == "granted" and granted.json()["decided_by"] == "admin_alice@example.test"
    assert granted.json()["expires_at"].endswith("Z") or "+00:00" in granted.json()["expires_at"]
    assert personas["it_ivan"].has_perm("governance.change_risk", risk)
    again = post_json(alice, f"/api/v1/access-requests/{out['id']}/reject/", {})
    assert again.status_code == 400 and "already decided" in again.json()["detail"]
    rejected = post_json(ivan, f"/api/v1/access-requests/{role.json()['id']}/reject/", {"note": "Not on call"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert not personas["owner_omar"].groups.filter(name="IT administrator").exists()


def test_api_bad_input_names_the_field(personas: Any) -> None:
    _risk()
    omar, _ = token_client(personas["owner_omar"])
    url = "/api/v1/access-requests/"
    cases = [
        ({"kind": "risk", "action": "change", "reason": "x", "hours": 1}, "ref"),
        ({"kind": "risk", "ref": "RSK-404", "action": "change", "reason": "x", "hours": 1}, "ref"),
        ({"kind": "asset", "ref": "RSK-42", "action": "change", "reason": "x", "hours": 1}, "kind"),
        ({"kind": "risk", "ref": "RSK-42", "action": "delete", "reason": "x", "hours": 1}, "action"),
        ({"role": "Auditor", "kind": "risk", "reason": "x", "hours": 1}, "role"),
        ({"role": "Auditor", "reason": "x", "hours": 0}, "hours"),
        ({"role": "Auditor", "reason": " ", "hours": 1}, "reason"),
        ({"role": "Boss", "reason": "x", "hours": 1}, "role"),
    ]
    for body, field in cases:
        response = post_json(omar, url, body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    assert post_json(omar, url, ["not", "an", "object"]).status_code == 400
    assert not AccessRequest.objects.exists()
