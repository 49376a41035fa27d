"""Governance writes that succeed: the same routes as the other governance modules, other methods.

The other modules mostly prove who is turned away (an empty form is a 400 for those who may);
here each write carries a body that works, and ``wrote`` checks that it took effect for the
personas who may, and for nobody else. Who may do what:

- Recording a test result (API): ``governance.add_controltest`` (Administrator, Compliance
  officer) or the right to change the control (its owner). The IT administrator sees controls
  but may not test them (403); a Control owner cannot pick a control he does not own (400).
- Creating controls and risks: Administrator and Compliance officer. Editing a control or a risk:
  those and the owner; the reference of a control and the owner of a risk are a manager's call.
- Assets: Administrator, Compliance officer, IT administrator.
- Exceptions: requested and decided by Administrator and Compliance officer; the requester of an
  exception never decides it (segregation of duties), so Olga's own request is Alice's to decide.
- Findings: recorded and changed by Administrator and Compliance officer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from governance.models import Asset, ComplianceException, Control, ControlTest, Finding, Risk
from tests.security.expectations import API_ANON, Route, roles
from tests.security.expectations.governance_controls import _control, _omars_control
from tests.security.expectations.governance_risks import _asset, _exception, _finding, _omars_risk

OFFICERS = roles("admin_alice", "officer_olga")
ASSET_KEEPERS = roles("admin_alice", "officer_olga", "it_ivan")
CHANGERS = roles("admin_alice", "officer_olga", "owner_omar")  # owner_omar owns the control or risk used
HIDDEN_OR_DENIED = (403, 404)
POST_302 = {"method": "post", "ok": 302}
DONE = "Written by the matrix"


def _today() -> str:
    return timezone.localdate().isoformat()


def _in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- Controls ---


def _result_on_omars_control(p: Any) -> dict[str, Any]:
    return {"control": _omars_control(p).pk, "result": "pass", "performed_on": _today(), "notes": DONE}


def _result_on_nobodys_control(p: Any) -> dict[str, Any]:
    control = Control.objects.create(ref="CTL-MATRIX-NOBODY", title="Nobody's control")
    return {"control": control.pk, "result": "fail", "performed_on": _today(), "notes": DONE}


def _test_recorded(p: Any) -> bool:
    return ControlTest.objects.filter(notes=DONE, performed_on__isnull=False).exists()


def _control_form(p: Any) -> dict[str, Any]:
    # The owner stays Omar; he cannot change the reference or the owner, so his form has neither.
    return {
        "ref": "CTL-MATRIX-1",
        "title": DONE,
        "status": Control.Status.IN_PROGRESS,
        "test_frequency": "quarterly",
        "owner": p["owner_omar"].pk,
    }


def _control_titled(p: Any) -> bool:
    return Control.objects.filter(title=DONE).exists()


# --- Risks ---

RISK_LEVELS = {"inherent_likelihood": 3, "inherent_impact": 4, "residual_likelihood": 2, "residual_impact": 2}


def _risk_form(p: Any) -> dict[str, Any]:
    return {"title": DONE, **RISK_LEVELS, "treatment": Risk.Treatment.MITIGATE, "owner": p["owner_omar"].pk}


def _risk_titled(p: Any) -> bool:
    return Risk.objects.filter(title=DONE).exists()


def _risk_given_to_olga(p: Any) -> dict[str, Any]:
    return {"owner": p["officer_olga"].pk}


# --- Assets ---

ASSET_FORM = {
    "name": "Matrix asset",
    "kind": Asset.Kind.SAAS,
    "data_classification": Asset.Classification.CONFIDENTIAL,
    "criticality": Asset.Criticality.CRITICAL,
    "vendor": DONE,
}


def _asset_written(p: Any) -> bool:
    return Asset.objects.filter(vendor=DONE).exists()


# --- Exceptions ---


def _olgas_exception(p: Any) -> dict[str, Any]:
    """A request by the Compliance officer herself: only the Administrator may decide it."""
    control = Control.objects.create(ref="CTL-MATRIX-SOD", title="Matrix control")
    exception = ComplianceException.objects.create(
        title="Olga's own request",
        control=control,
        reason="Testing segregation of duties",
        requested_by=p["officer_olga"],
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    return {"pk": exception.pk}


def _approved(p: Any) -> bool:
    return ComplianceException.objects.filter(status=ComplianceException.Status.APPROVED).exists()


def _exception_page_form(p: Any) -> dict[str, Any]:
    Control.objects.create(ref="CTL-MATRIX-REQ", title="Matrix control")
    return {"title": DONE, "control": "CTL-MATRIX-REQ", "reason": "Testing the matrix", "expires_on": _in_days(30)}


def _exception_api_body(p: Any) -> dict[str, Any]:
    control = Control.objects.create(ref="CTL-MATRIX-REQ", title="Matrix control")
    return {"title": DONE, "control": control.pk, "reason": "Testing the matrix", "expires_on": _in_days(30)}


def _exception_requested(p: Any) -> bool:
    return ComplianceException.objects.filter(title=DONE, status=ComplianceException.Status.REQUESTED).exists()


# --- Findings ---

FINDING_FORM = {"title": DONE, "severity": Finding.Severity.HIGH, "status": Finding.Status.IN_REMEDIATION}


def _finding_titled(p: Any) -> bool:
    return Finding.objects.filter(title=DONE).exists()


ROUTES = [
    # Controls: pages
    Route(
        "governance:control_create",
        OFFICERS,
        **POST_302,
        data={"ref": "CTL-MATRIX-NEW", "title": DONE, "status": Control.Status.PLANNED, "test_frequency": "annual"},
        wrote=_control_titled,
    ),
    Route(
        "governance:control_edit",
        CHANGERS,
        kwargs=_control,
        **POST_302,
        data=_control_form,
        denied=HIDDEN_OR_DENIED,
        wrote=_control_titled,
    ),
    # Controls: API
    Route(
        "control-test-list",
        CHANGERS,
        method="post",
        ok=201,
        data=_result_on_omars_control,
        anonymous=API_ANON,
        wrote=_test_recorded,
        note="a result on Omar's control: the IT administrator sees it but may not test it (403)",
    ),
    Route(
        "control-test-list",
        OFFICERS,
        method="post",
        ok=201,
        data=_result_on_nobodys_control,
        denied=(400, 403),
        anonymous=API_ANON,
        wrote=_test_recorded,
        note="a control Omar does not own is not one he may pick (400 naming the field)",
    ),
    Route(
        "control-detail",
        CHANGERS,
        kwargs=_control,
        method="put",
        data={"title": DONE, "status": Control.Status.IMPLEMENTED, "test_frequency": "monthly"},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
        wrote=_control_titled,
    ),
    Route(
        "control-detail",
        OFFICERS,
        kwargs=_control,
        method="patch",
        data={"ref": "CTL-MATRIX-RENAMED", "title": DONE},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
        wrote=_control_titled,
        note="the reference needs global change_control: the owner may not rename (403)",
    ),
    # Risks: pages
    Route(
        "governance:risk_create",
        OFFICERS,
        **POST_302,
        data={"title": DONE, **RISK_LEVELS, "treatment": Risk.Treatment.MITIGATE},
        wrote=_risk_titled,
    ),
    Route(
        "governance:risk_edit",
        CHANGERS,
        kwargs=_omars_risk,
        **POST_302,
        data=_risk_form,
        denied=HIDDEN_OR_DENIED,
        wrote=_risk_titled,
    ),
    # Risks: API
    Route(
        "risk-detail",
        CHANGERS,
        kwargs=_omars_risk,
        method="put",
        data={"title": DONE, **RISK_LEVELS, "treatment": Risk.Treatment.MITIGATE},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
        wrote=_risk_titled,
    ),
    Route(
        "risk-detail",
        OFFICERS,
        kwargs=_omars_risk,
        method="patch",
        data=_risk_given_to_olga,
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
        wrote=lambda p: Risk.objects.filter(owner=p["officer_olga"]).exists(),
        note="a new owner is a risk manager's call: the owner may not hand his risk on (403)",
    ),
    # Assets
    Route("governance:asset_create", ASSET_KEEPERS, **POST_302, data=ASSET_FORM, wrote=_asset_written),
    Route("governance:asset_edit", ASSET_KEEPERS, kwargs=_asset, **POST_302, data=ASSET_FORM, wrote=_asset_written),
    Route(
        "asset-detail",
        ASSET_KEEPERS,
        kwargs=_asset,
        method="put",
        data={"vendor": DONE, "criticality": Asset.Criticality.HIGH},
        anonymous=API_ANON,
        wrote=_asset_written,
    ),
    # Exceptions
    Route(
        "governance:exception_request",
        OFFICERS,
        **POST_302,
        data=_exception_page_form,
        wrote=_exception_requested,
    ),
    Route(
        "exception-list",
        OFFICERS,
        method="post",
        ok=201,
        data=_exception_api_body,
        anonymous=API_ANON,
        wrote=_exception_requested,
    ),
    Route(
        "governance:exception_decide",
        OFFICERS,
        kwargs=_exception,
        **POST_302,
        data={"decision": "approve", "note": DONE},
        wrote=_approved,
        note="requested by someone who is none of the personas",
    ),
    Route(
        "governance:exception_decide",
        roles("admin_alice"),
        kwargs=_olgas_exception,
        **POST_302,
        data={"decision": "approve", "note": DONE},
        wrote=_approved,
        note="Olga requested it: she may not decide it (403), Alice may",
    ),
    Route(
        "exception-decide",
        roles("admin_alice"),
        kwargs=_olgas_exception,
        method="post",
        data={"approve": True, "note": DONE},
        anonymous=API_ANON,
        wrote=_approved,
        note="Olga requested it: she may not decide it (403), Alice may",
    ),
    # Findings
    Route("governance:finding_create", OFFICERS, **POST_302, data=FINDING_FORM, wrote=_finding_titled),
    Route("governance:finding_edit", OFFICERS, kwargs=_finding, **POST_302, data=FINDING_FORM, wrote=_finding_titled),
    Route(
        "finding-detail",
        OFFICERS,
        kwargs=_finding,
        method="put",
        data={"title": DONE, "severity": Finding.Severity.LOW},
        anonymous=API_ANON,
        wrote=_finding_titled,
    ),
]
