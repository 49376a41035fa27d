"""Recording and changing risks: scores, levels on the matrix, treatments, owners."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import PermissionDeniedError, SegregationOfDutiesError
from governance.models import Risk
from governance.scoping import can
from governance.services.risks import RiskData, assign_risk_owner, close_risk, create_risk, reopen_risk, update_risk
from tests.governance.risks.conftest import in_days, make_risk

pytestmark = pytest.mark.django_db


def test_scores_are_likelihood_times_impact_before_and_after_treatment(personas: Any, payroll: Any) -> None:
    data = RiskData(
        title="Payroll data leaks by email",
        assets=[payroll],
        inherent_likelihood=4,
        inherent_impact=5,
        residual_likelihood=2,
        residual_impact=3,
    )
    risk = create_risk(actor=personas["officer_olga"], data=data)
    risk.refresh_from_db()
    assert (risk.inherent_score, risk.residual_score) == (20, 6)
    assert risk.ref == "RSK-0001"
    assert list(risk.assets.all()) == [payroll]

    changed = update_risk(
        actor=personas["officer_olga"], risk=risk, data=RiskData.from_risk(risk).updated(residual_impact=1)
    )
    changed.refresh_from_db()
    assert (changed.inherent_score, changed.residual_score) == (20, 2)


def test_refs_are_numbered_after_the_highest(personas: Any) -> None:
    make_risk("RSK-0041")
    risk = create_risk(actor=personas["officer_olga"], data=RiskData(title="Next"))
    assert risk.ref == "RSK-0042"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("inherent_likelihood", 9, "Inherent likelihood must be from 1 to 5 on the 5x5 risk matrix (got 9)."),
        ("residual_impact", 0, "Residual impact must be from 1 to 5 on the 5x5 risk matrix (got 0)."),
        ("inherent_impact", "high", "Inherent impact must be a whole number from 1 to 5."),
        ("residual_likelihood", "2.5", "Residual likelihood must be a whole number from 1 to 5."),
    ],
)
def test_levels_off_the_matrix_are_refused_naming_the_field(
    personas: Any, field: str, value: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        create_risk(actor=personas["officer_olga"], data=RiskData(title="Off the grid", **{field: value}))
    assert caught.value.message_dict == {field: [message]}
    assert not Risk.objects.exists()


def test_levels_follow_a_smaller_matrix(personas: Any, matrix: Any) -> None:
    matrix.size = 3
    matrix.likelihood_labels = ["Low", "Medium", "High"]
    matrix.impact_labels = ["Low", "Medium", "High"]
    matrix.bands = [
        {"max_score": 3, "label": "Low", "colour": "#2e7d32"},
        {"max_score": 9, "label": "High", "colour": "#c62828"},
    ]
    matrix.save()
    with pytest.raises(ValidationError) as caught:
        create_risk(actor=personas["officer_olga"], data=RiskData(title="Four on three", inherent_impact=4))
    assert "on the 3x3 risk matrix" in caught.value.message_dict["inherent_impact"][0]


@pytest.mark.parametrize("treatment", [Risk.Treatment.TRANSFER, Risk.Treatment.AVOID])
def test_transfer_and_avoid_need_a_plan(personas: Any, treatment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        create_risk(actor=personas["officer_olga"], data=RiskData(title="No plan", treatment=treatment))
    assert list(caught.value.message_dict) == ["treatment_plan"]
    risk = create_risk(
        actor=personas["officer_olga"],
        data=RiskData(title="Insured", treatment=treatment, treatment_plan="Cyber insurance policy 2025-114"),
    )
    assert risk.treatment == treatment


def test_mitigation_links_controls_the_actor_can_see(personas: Any, backup_control: Any) -> None:
    risk = create_risk(actor=personas["officer_olga"], data=RiskData(title="Ransomware", controls=[backup_control]))
    assert list(risk.controls.all()) == [backup_control]


def test_an_owner_cannot_link_a_control_they_cannot_see(personas: Any, backup_control: Any) -> None:
    omar = personas["owner_omar"]
    risk = make_risk("RSK-0001", owner=omar)
    with pytest.raises(ValidationError) as caught:
        update_risk(actor=omar, risk=risk, data=RiskData.from_risk(risk).updated(controls=[backup_control]))
    assert list(caught.value.message_dict) == ["controls"]


# --- Acceptance ---


def _accept(**changes: Any) -> RiskData:
    return RiskData(title="Old ERP stays until migration", treatment=Risk.Treatment.ACCEPT, **changes)


def test_acceptance_needs_a_future_expiry_and_names_who_recorded_it(personas: Any) -> None:
    olga = personas["officer_olga"]
    with pytest.raises(ValidationError) as caught:
        create_risk(actor=olga, data=_accept())
    assert list(caught.value.message_dict) == ["acceptance_expires_on"]
    for past_or_today in (in_days(-1), in_days(0)):
        with pytest.raises(ValidationError) as caught:
            create_risk(actor=olga, data=_accept(acceptance_expires_on=past_or_today))
        assert caught.value.message_dict["acceptance_expires_on"] == ["The acceptance must expire in the future."]
    with pytest.raises(ValidationError):
        create_risk(actor=olga, data=_accept(acceptance_expires_on=in_days(4 * 365)))
    assert not Risk.objects.exists()
    risk = create_risk(actor=olga, data=_accept(acceptance_expires_on=in_days(180)))
    assert (risk.accepted_by, risk.acceptance_expires_on) == (olga, in_days(180))


def test_nobody_accepts_a_risk_in_someone_elses_name(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    with pytest.raises(ValidationError) as caught:
        create_risk(actor=olga, data=_accept(accepted_by=alice, acceptance_expires_on=in_days(30)))
    assert "Alice Admin must sign in and accept it themselves" in caught.value.message_dict["accepted_by"][0]
    # Naming oneself is the same as naming nobody.
    risk = create_risk(actor=olga, data=_accept(accepted_by=olga, acceptance_expires_on=in_days(30)))
    assert risk.accepted_by == olga


def test_only_a_risk_manager_accepts(personas: Any) -> None:
    ivan = personas["it_ivan"]
    risk = make_risk("RSK-0001", owner=personas["owner_omar"])
    with pytest.raises(PermissionDeniedError):
        update_risk(
            actor=ivan,
            risk=risk,
            data=RiskData.from_risk(risk).updated(treatment=Risk.Treatment.ACCEPT, acceptance_expires_on=in_days(30)),
        )
    risk.refresh_from_db()
    assert (risk.treatment, risk.accepted_by) == ("mitigate", None)


def test_renewing_an_acceptance_makes_the_renewer_its_approver(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    risk = create_risk(actor=olga, data=_accept(acceptance_expires_on=in_days(30)))
    # A change elsewhere keeps Olga's acceptance as she signed it.
    update_risk(actor=alice, risk=risk, data=RiskData.from_risk(risk).updated(threat="Unsupported database"))
    risk.refresh_from_db()
    assert (risk.accepted_by, risk.acceptance_expires_on) == (olga, in_days(30))
    update_risk(actor=alice, risk=risk, data=RiskData.from_risk(risk).updated(acceptance_expires_on=in_days(365)))
    risk.refresh_from_db()
    assert (risk.accepted_by, risk.acceptance_expires_on) == (alice, in_days(365))


def test_an_expired_acceptance_never_locks_the_risk(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    with time_machine.travel(timezone.now() - timedelta(days=60)):
        risk = create_risk(actor=olga, data=_accept(owner=omar, acceptance_expires_on=in_days(30)))
    risk.refresh_from_db()
    assert risk.acceptance_expired
    update_risk(actor=omar, risk=risk, data=RiskData.from_risk(risk).updated(description="Still in use by payroll"))
    risk.refresh_from_db()
    assert (risk.description, risk.accepted_by, risk.acceptance_expired) == ("Still in use by payroll", olga, True)
    # Renewing it needs a date in the future again.
    with pytest.raises(ValidationError):
        update_risk(actor=olga, risk=risk, data=RiskData.from_risk(risk).updated(acceptance_expires_on=in_days(-1)))
    update_risk(actor=olga, risk=risk, data=RiskData.from_risk(risk).updated(acceptance_expires_on=in_days(90)))
    risk.refresh_from_db()
    assert not risk.acceptance_expired


def test_the_residual_score_is_never_above_the_inherent_score(personas: Any) -> None:
    olga = personas["officer_olga"]
    with pytest.raises(ValidationError) as caught:
        create_risk(
            actor=olga,
            data=RiskData(title="Worse after", inherent_likelihood=2, inherent_impact=2, residual_likelihood=5),
        )
    assert set(caught.value.message_dict) == {"residual_likelihood", "residual_impact"}
    assert "residual score (5) cannot be above the inherent score (4)" in caught.value.messages[0]
    assert not Risk.objects.exists()
    # Trading likelihood for impact is fine while the score does not grow.
    risk = create_risk(
        actor=olga,
        data=RiskData(
            title="Same score", inherent_likelihood=2, inherent_impact=2, residual_likelihood=4, residual_impact=1
        ),
    )
    assert (risk.inherent_score, risk.residual_score) == (4, 4)


def test_the_owner_never_accepts_their_own_risk(personas: Any) -> None:
    olga = personas["officer_olga"]
    with pytest.raises(SegregationOfDutiesError):
        create_risk(actor=olga, data=_accept(owner=olga, acceptance_expires_on=in_days(30)))
    risk = create_risk(actor=olga, data=_accept(owner=personas["owner_omar"], acceptance_expires_on=in_days(30)))
    # Handing the risk to its approver would make them accept their own risk.
    with pytest.raises(SegregationOfDutiesError):
        assign_risk_owner(actor=personas["admin_alice"], risk=risk, owner=olga)
    with pytest.raises(SegregationOfDutiesError):
        update_risk(actor=personas["admin_alice"], risk=risk, data=RiskData.from_risk(risk).updated(owner=olga))


def test_an_owner_cannot_record_or_withdraw_an_acceptance(personas: Any) -> None:
    omar, olga = personas["owner_omar"], personas["officer_olga"]
    risk = make_risk("RSK-0001", owner=omar)
    accepted = RiskData.from_risk(risk).updated(treatment=Risk.Treatment.ACCEPT, acceptance_expires_on=in_days(30))
    with pytest.raises(PermissionDeniedError):
        update_risk(actor=omar, risk=risk, data=accepted)
    update_risk(actor=olga, risk=risk, data=accepted)
    risk.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        update_risk(actor=omar, risk=risk, data=RiskData.from_risk(risk).updated(treatment=Risk.Treatment.MITIGATE))
    # Editing other fields of an accepted risk stays possible for its owner.
    update_risk(actor=omar, risk=risk, data=RiskData.from_risk(risk).updated(threat="Vendor end of support"))
    risk.refresh_from_db()
    assert (risk.threat, risk.treatment, risk.accepted_by) == ("Vendor end of support", "accept", olga)


def test_leaving_acceptance_clears_the_approver(personas: Any) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    risk = create_risk(actor=alice, data=_accept(acceptance_expires_on=in_days(30)))
    update_risk(
        actor=olga,
        risk=risk,
        data=RiskData.from_risk(risk).updated(treatment=Risk.Treatment.AVOID, treatment_plan="Retire the ERP"),
    )
    risk.refresh_from_db()
    assert (risk.accepted_by, risk.acceptance_expires_on) == (None, None)


# --- Owners, closing ---


def test_owners_hold_object_permissions_that_move_with_the_owner(personas: Any) -> None:
    olga, omar, ivan = personas["officer_olga"], personas["owner_omar"], personas["it_ivan"]
    risk = create_risk(actor=olga, data=RiskData(title="Laptop theft", owner=omar))
    assert can(omar, risk, "change")
    assign_risk_owner(actor=olga, risk=risk, owner=ivan)
    fresh_omar = type(omar).objects.get(pk=omar.pk)
    fresh_ivan = type(ivan).objects.get(pk=ivan.pk)
    assert not can(fresh_omar, risk, "view")
    assert can(fresh_ivan, risk, "change")


def test_owners_edit_their_risk_but_not_its_owner_or_status(personas: Any) -> None:
    omar, olga = personas["owner_omar"], personas["officer_olga"]
    risk = make_risk("RSK-0001", owner=omar, inherent=(3, 3))
    update_risk(actor=omar, risk=risk, data=RiskData.from_risk(risk).updated(residual_likelihood=2))
    with pytest.raises(PermissionDeniedError):
        update_risk(actor=omar, risk=risk, data=RiskData.from_risk(risk).updated(owner=olga))
    with pytest.raises(PermissionDeniedError):
        assign_risk_owner(actor=omar, risk=risk, owner=olga)
    with pytest.raises(PermissionDeniedError):
        close_risk(actor=omar, risk=risk)
    other = make_risk("RSK-0002", owner=olga)
    with pytest.raises(PermissionDeniedError):
        update_risk(actor=omar, risk=other, data=RiskData.from_risk(other).updated(title="Mine now"))


def test_close_and_reopen(personas: Any) -> None:
    olga = personas["officer_olga"]
    risk = make_risk("RSK-0001")
    close_risk(actor=olga, risk=risk)
    assert Risk.objects.get(pk=risk.pk).status == Risk.Status.CLOSED
    reopen_risk(actor=olga, risk=risk)
    assert Risk.objects.get(pk=risk.pk).status == Risk.Status.OPEN


def test_an_owner_links_only_assets_he_may_see(personas: Any, payroll: Any) -> None:
    omar = personas["owner_omar"]
    mine = make_risk("RSK-0001", owner=omar, inherent=(3, 3))
    with pytest.raises(ValidationError) as caught:
        update_risk(actor=omar, risk=mine, data=RiskData.from_risk(mine).updated(assets=[payroll]))
    assert list(caught.value.message_dict) == ["assets"]
    assert not mine.assets.exists()
    # Once a risk manager links it to one of his risks, he may keep it and link it to his others.
    update_risk(actor=personas["officer_olga"], risk=mine, data=RiskData.from_risk(mine).updated(assets=[payroll]))
    update_risk(actor=omar, risk=mine, data=RiskData.from_risk(mine).updated(title="Payroll on a laptop"))
    other = make_risk("RSK-0002", owner=omar)
    update_risk(actor=omar, risk=other, data=RiskData.from_risk(other).updated(assets=[payroll]))
    assert list(other.assets.all()) == [payroll]
    # Nobody adds a retired asset.
    retired = payroll.__class__.objects.create(name="Old fax server", is_active=False)
    with pytest.raises(ValidationError):
        create_risk(actor=personas["officer_olga"], data=RiskData(title="Fax", assets=[retired]))


def test_the_api_refuses_an_asset_the_owner_may_not_see(personas: Any, payroll: Any) -> None:
    mine = make_risk("RSK-0001", owner=personas["owner_omar"], inherent=(3, 3))
    response = personas.client("owner_omar").patch(
        f"/api/v1/risks/{mine.pk}/", {"assets": [payroll.pk]}, content_type="application/json"
    )
    assert response.status_code == 400 and "assets" in response.json()
    assert not mine.assets.exists()
