"""Risks, the heat map and matrix, assets, exceptions and findings: pages and API.

Who may do what:

- Risk pages, the heat map and the register API: holders of ``governance.view_riskmatrix``
  (Administrator, Compliance officer, IT administrator, Control owner). Control owners see
  only the risks they own; a risk they may not see is a 404. Employees: 403. Auditors: while
  an engagement they audit is in progress, read-only the risks linked to the controls of its
  scope (register, CSV, heat map, risk page, API); another risk is a 404; else 403.
- Recording risks, naming owners, closing and reopening, bulk owner, the matrix settings:
  risk managers (``add_risk`` / global ``change_risk`` / ``change_riskmatrix``: Administrator,
  Compliance officer). A risk's owner may edit it (object ``change_risk``).
- Assets: ``view_asset`` / ``add_asset`` / ``change_asset`` (Administrator, Compliance officer,
  IT administrator).
- Exceptions and findings: read by Administrator, Compliance officer, IT administrator;
  requested, decided, raised and closed by Administrator and Compliance officer. Auditors read
  the exceptions of the controls and requirements in their engagement's scope (another is a
  404); findings and assets are not in an engagement's scope (403).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from access.models import User
from governance.models import Asset, ComplianceException, Control, Finding, Risk
from governance.scoping import hand_over_object_perms
from tests.security.expectations import API_ANON, Route, bulk_owner_api, roles
from tests.security.expectations.audits_engagements import in_engagement

OFFICERS = roles("admin_alice", "officer_olga")
GLOBAL_VIEW = roles("admin_alice", "officer_olga", "it_ivan")
BROWSERS = roles("admin_alice", "officer_olga", "it_ivan", "owner_omar")
CHANGERS = roles("admin_alice", "officer_olga", "owner_omar")  # owner_omar owns the risk used here
HIDDEN_OR_DENIED = (403, 404)
RISK_READERS = BROWSERS | {"auditor_aude"}  # auditor_aude audits a control of the risk (in_engagement)
EXCEPTION_READERS = GLOBAL_VIEW | {"auditor_aude"}  # ... and the control of the exception


MATRIX_3X3 = {
    "size": 3,
    "likelihood_labels": ["Rare", "Possible", "Likely"],
    "impact_labels": ["Minor", "Serious", "Severe"],
    "bands": [
        {"max_score": 2, "label": "Low", "colour": "#2e7d32"},
        {"max_score": 5, "label": "Medium", "colour": "#f9a825"},
        {"max_score": 9, "label": "High", "colour": "#c62828"},
    ],
}


def _omars_risk(p: Any, *, status: str = Risk.Status.OPEN) -> dict[str, Any]:
    risk = Risk.objects.create(ref="RSK-MATRIX", title="Matrix risk", owner=p["owner_omar"], status=status)
    hand_over_object_perms(obj=risk, previous=None, new=p["owner_omar"])
    return {"pk": risk.pk}


def _audited_risk(p: Any) -> dict[str, Any]:
    """Omar's risk, linked to a control in the scope of auditor_aude's engagement."""
    found = _omars_risk(p)
    control = Control.objects.create(ref="CTL-MATRIX-RISK", title="Mitigating control")
    Risk.objects.get(pk=found["pk"]).controls.add(control)
    in_engagement(p, controls=[control])
    return found


def _audited(p: Any) -> dict[str, Any]:
    _audited_risk(p)
    return {}


def _outside_risk(p: Any) -> dict[str, Any]:
    """Omar's risk, linked to no control of auditor_aude's engagement."""
    in_engagement(p, controls=[Control.objects.create(ref="CTL-MATRIX-SCOPE", title="Scope control")])
    return _omars_risk(p)


def _closed_risk(p: Any) -> dict[str, Any]:
    return _omars_risk(p, status=Risk.Status.CLOSED)


def _asset(p: Any) -> dict[str, Any]:
    return {"pk": Asset.objects.create(name="Matrix asset").pk}


def _inactive_asset(p: Any) -> dict[str, Any]:
    return {"pk": Asset.objects.create(name="Retired matrix asset", is_active=False).pk}


def _exception(p: Any, status: str = ComplianceException.Status.REQUESTED) -> dict[str, Any]:
    # Requested by someone who is none of the personas, so every officer may decide it.
    requester = User.objects.create(email="requester@example.test", full_name="Rita Requester")
    control = Control.objects.create(ref="CTL-MATRIX-EXC", title="Matrix control")
    exception = ComplianceException.objects.create(
        title="Matrix exception",
        control=control,
        reason="Testing the matrix",
        requested_by=requester,
        expires_on=timezone.localdate() + timedelta(days=30),
        status=status,
    )
    return {"pk": exception.pk}


def _audited_exception(p: Any) -> dict[str, Any]:
    """An exception of a control in the scope of auditor_aude's engagement."""
    found = _exception(p)
    in_engagement(p, controls=[ComplianceException.objects.get(pk=found["pk"]).control])
    return found


def _audited_exceptions(p: Any) -> dict[str, Any]:
    _audited_exception(p)
    return {}


def _outside_exception(p: Any) -> dict[str, Any]:
    in_engagement(p, controls=[Control.objects.create(ref="CTL-MATRIX-SCOPE", title="Scope control")])
    return _exception(p)


def _approved_exception(p: Any) -> dict[str, Any]:
    return _exception(p, ComplianceException.Status.APPROVED)


def _finding(p: Any, status: str = Finding.Status.OPEN) -> dict[str, Any]:
    return {"pk": Finding.objects.create(title="Matrix finding", status=status).pk}


def _closed_finding(p: Any) -> dict[str, Any]:
    return _finding(p, Finding.Status.CLOSED)


POST_302 = {"method": "post", "ok": 302}

ROUTES = [
    # Risk pages
    Route("governance:risk_list", BROWSERS, note="auditor_aude without an engagement: 403"),
    Route("governance:risk_list", RISK_READERS, kwargs=_audited, note="auditor_aude in an engagement"),
    Route("governance:risk_export", RISK_READERS, kwargs=_audited),
    Route("governance:risk_heatmap", RISK_READERS, kwargs=_audited),
    Route("governance:risk_matrix_css", RISK_READERS, kwargs=_audited),
    Route("governance:risk_matrix", OFFICERS, kwargs=_audited),
    Route("governance:risk_matrix", OFFICERS, method="post", ok=400, note="empty form: field errors"),
    Route("governance:risk_create", OFFICERS),
    Route("governance:risk_create", OFFICERS, method="post", ok=400, note="empty form: field errors"),
    Route("governance:risk_bulk_owner", OFFICERS, **POST_302, note="nothing ticked: redirect with a message"),
    Route("governance:risk_detail", RISK_READERS, kwargs=_audited_risk, denied=HIDDEN_OR_DENIED),
    Route(
        "governance:risk_detail",
        BROWSERS,
        kwargs=_outside_risk,
        denied=HIDDEN_OR_DENIED,
        note="not linked to a control of auditor_aude's engagement: 404 for her",
    ),
    Route("governance:risk_edit", CHANGERS, kwargs=_audited_risk, denied=HIDDEN_OR_DENIED),
    Route("governance:risk_close", OFFICERS, kwargs=_omars_risk, **POST_302),
    Route("governance:risk_reopen", OFFICERS, kwargs=_closed_risk, **POST_302),
    # Asset pages
    Route("governance:asset_list", GLOBAL_VIEW),
    Route("governance:asset_export", GLOBAL_VIEW),
    Route("governance:asset_create", GLOBAL_VIEW),
    Route("governance:asset_bulk_owner", GLOBAL_VIEW, **POST_302),
    Route("governance:asset_detail", GLOBAL_VIEW, kwargs=_asset),
    Route("governance:asset_edit", GLOBAL_VIEW, kwargs=_asset),
    Route("governance:asset_deactivate", GLOBAL_VIEW, kwargs=_asset, **POST_302),
    Route("governance:asset_reactivate", GLOBAL_VIEW, kwargs=_inactive_asset, **POST_302),
    # Exception pages
    Route("governance:exception_list", GLOBAL_VIEW, note="auditor_aude without an engagement: 403"),
    Route("governance:exception_list", EXCEPTION_READERS, kwargs=_audited_exceptions),
    Route("governance:exception_export", EXCEPTION_READERS, kwargs=_audited_exceptions),
    Route(
        "governance:exception_bulk_owner", OFFICERS, **POST_302, note="nothing ticked: back to the list with a message"
    ),
    Route("governance:exception_request", OFFICERS),
    Route(
        "governance:finding_bulk_owner", OFFICERS, **POST_302, note="nothing ticked: back to the list with a message"
    ),
    Route("governance:exception_detail", EXCEPTION_READERS, kwargs=_audited_exception, denied=HIDDEN_OR_DENIED),
    Route("governance:exception_detail", GLOBAL_VIEW, kwargs=_outside_exception, denied=HIDDEN_OR_DENIED),
    Route("governance:exception_decide", OFFICERS, kwargs=_audited_exception),
    Route("governance:exception_revoke", OFFICERS, kwargs=_approved_exception, **POST_302),
    # Finding pages
    Route("governance:finding_list", GLOBAL_VIEW, kwargs=_audited, note="findings are in no engagement's scope"),
    Route("governance:finding_export", GLOBAL_VIEW),
    Route("governance:finding_create", OFFICERS),
    Route("governance:finding_detail", GLOBAL_VIEW, kwargs=_finding),
    Route("governance:finding_edit", OFFICERS, kwargs=_finding),
    Route("governance:finding_close", OFFICERS, kwargs=_finding, **POST_302),
    Route("governance:finding_reopen", OFFICERS, kwargs=_closed_finding, **POST_302),
    # Type-ahead pickers (htmx search endpoints). People: those who assign owners (view_user or a
    # global change permission) find everyone; a Control owner filters his own lists and finds only
    # himself. Assets: view_asset finds the inventory; a Control owner only the assets of his risks.
    Route("governance:people_search", BROWSERS, note="people picker: owner filters and owner fields"),
    Route("governance:asset_search", BROWSERS, note="asset picker: scoped to the risks an owner sees"),
    Route("governance:control_search", BROWSERS, note="control picker of the risk form: controls one may see"),
    # Requirements (exception and finding forms): whoever reads requirements (view_requirement).
    Route("governance:requirement_search", BROWSERS, note="requirement picker: current requirements one may see"),
    # Control tests (the evidence form): whoever browses controls; it offers the tests of the controls
    # one may change (an IT administrator finds none; an auditor is refused).
    Route("governance:control_test_search", BROWSERS, note="control-test picker of the evidence form"),
    # API: risks and the heat map
    Route("risk-list", BROWSERS, anonymous=API_ANON),
    Route("risk-list", RISK_READERS, kwargs=_audited, anonymous=API_ANON),
    Route(
        "risk-list",
        OFFICERS,
        method="post",
        ok=201,
        data={"title": "Created by the matrix", "inherent_likelihood": 3, "inherent_impact": 4},
        anonymous=API_ANON,
    ),
    Route("risk-detail", RISK_READERS, kwargs=_audited_risk, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("risk-detail", BROWSERS, kwargs=_outside_risk, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route(
        "risk-detail",
        CHANGERS,
        kwargs=_omars_risk,
        method="patch",
        data={"title": "Renamed by the matrix"},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route("risk-close", OFFICERS, kwargs=_audited_risk, method="post", denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("risk-reopen", OFFICERS, kwargs=_closed_risk, method="post", denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route(
        "risk-assign-owner",
        OFFICERS,
        kwargs=_omars_risk,
        method="post",
        data={"owner": None},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    bulk_owner_api("risk-bulk-owner", OFFICERS),
    Route("risk-heatmap-list", BROWSERS, anonymous=API_ANON),
    Route("risk-heatmap-list", RISK_READERS, kwargs=_audited, anonymous=API_ANON),
    Route("risk-matrix-list", BROWSERS, kwargs=_audited, anonymous=API_ANON, note="the settings: not for auditors"),
    Route(
        "risk-matrix-list",
        OFFICERS,
        method="put",
        data=MATRIX_3X3,
        anonymous=API_ANON,
        denied=(403,),
        note="officers replace it; other readers get 403",
    ),
    # API: assets
    Route("asset-list", GLOBAL_VIEW, anonymous=API_ANON),
    Route("asset-list", GLOBAL_VIEW, method="post", ok=201, data={"name": "API asset"}, anonymous=API_ANON),
    Route("asset-detail", GLOBAL_VIEW, kwargs=_asset, anonymous=API_ANON),
    Route("asset-detail", GLOBAL_VIEW, kwargs=_asset, method="patch", data={"vendor": "Acme"}, anonymous=API_ANON),
    bulk_owner_api("asset-bulk-owner", GLOBAL_VIEW),
    # API: exceptions
    Route("exception-list", GLOBAL_VIEW, anonymous=API_ANON),
    Route("exception-list", EXCEPTION_READERS, kwargs=_audited_exceptions, anonymous=API_ANON),
    Route("exception-list", OFFICERS, method="post", ok=400, note="no data: field errors", anonymous=API_ANON),
    Route(
        "exception-detail", EXCEPTION_READERS, kwargs=_audited_exception, denied=HIDDEN_OR_DENIED, anonymous=API_ANON
    ),
    Route("exception-detail", GLOBAL_VIEW, kwargs=_outside_exception, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    bulk_owner_api("finding-bulk-owner", OFFICERS),
    bulk_owner_api("exception-bulk-owner", OFFICERS),
    Route(
        "exception-decide",
        OFFICERS,
        kwargs=_audited_exception,
        denied=HIDDEN_OR_DENIED,
        method="post",
        data={"approve": True},
        anonymous=API_ANON,
    ),
    Route(
        "exception-revoke",
        OFFICERS,
        kwargs=_approved_exception,
        method="post",
        data={"note": "Revoked by the matrix"},
        anonymous=API_ANON,
    ),
    # API: findings
    Route("finding-list", GLOBAL_VIEW, kwargs=_audited, anonymous=API_ANON),
    Route("finding-list", OFFICERS, method="post", ok=201, data={"title": "API finding"}, anonymous=API_ANON),
    Route("finding-detail", GLOBAL_VIEW, kwargs=_finding, anonymous=API_ANON),
    Route("finding-detail", OFFICERS, kwargs=_finding, method="patch", data={"title": "Renamed"}, anonymous=API_ANON),
    Route("finding-close", OFFICERS, kwargs=_finding, method="post", anonymous=API_ANON),
    Route("finding-reopen", OFFICERS, kwargs=_closed_finding, method="post", anonymous=API_ANON),
]
