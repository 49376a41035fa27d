"""Controls, control tests, coverage, the Statement of Applicability and the compliance dashboard.

Who may do what:

- Control pages and lists: holders of ``governance.view_control`` (Administrator, Compliance
  officer, IT administrator) and Control owners, who see only the controls they own. Another
  owner's control, or any control for a role without controls, is a 404.
- Creating controls and assigning owners: ``governance.add_control`` / global
  ``governance.change_control`` (Administrator, Compliance officer).
- Editing and recording a test: whoever may change the control (its owner too); the IT
  administrator sees controls but may not change them or test them (403).
- Dashboard, coverage and SoA: global ``view_control`` (plus ``view_requirement`` for the SoA).
- Auditor: while an engagement they audit is in progress, read-only the controls of its scope
  and their tests (lists, CSV, pages, API); a control outside it is a 404; no dashboard,
  coverage or SoA (figures over everything), no picker of the control form, no change (403).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from governance.models import Control, ControlTest, Framework
from governance.scoping import hand_over_object_perms
from tests.security.expectations import API_ANON, Route, bulk_owner_api, roles
from tests.security.expectations.audits_engagements import in_engagement

GLOBAL_VIEW = roles("admin_alice", "officer_olga", "it_ivan")
OFFICERS = roles("admin_alice", "officer_olga")
BROWSERS = roles("admin_alice", "officer_olga", "it_ivan", "owner_omar")
SCOPE_READERS = BROWSERS | {"auditor_aude"}  # auditor_aude audits omar's control (in_engagement)
CHANGERS = roles("admin_alice", "officer_olga", "owner_omar")  # owner_omar owns the control used here
HIDDEN_OR_DENIED = (403, 404)


def _omars_control(p: Any) -> Control:
    control = Control.objects.create(ref="CTL-MATRIX-1", title="Matrix control", owner=p["owner_omar"])
    hand_over_object_perms(obj=control, previous=None, new=p["owner_omar"])
    return control


def _control(p: Any) -> dict[str, Any]:
    return {"pk": _omars_control(p).pk}


def _test(p: Any) -> dict[str, Any]:
    test = ControlTest.objects.create(control=_omars_control(p), due_date=timezone.localdate())
    return {"pk": test.pk}


def _audited_control(p: Any) -> dict[str, Any]:
    control = _omars_control(p)
    in_engagement(p, controls=[control])
    return {"pk": control.pk}


def _audited(p: Any) -> dict[str, Any]:
    _audited_control(p)
    return {}


def _audited_test(p: Any) -> dict[str, Any]:
    pk = _audited_control(p)["pk"]
    return {"pk": ControlTest.objects.create(control_id=pk, due_date=timezone.localdate()).pk}


def _outside_control(p: Any) -> dict[str, Any]:
    """Omar's control, while auditor_aude audits another one."""
    in_engagement(p, controls=[Control.objects.create(ref="CTL-MATRIX-IN", title="In scope")])
    return {"pk": _omars_control(p).pk}


def _outside_test(p: Any) -> dict[str, Any]:
    pk = _outside_control(p)["pk"]
    return {"pk": ControlTest.objects.create(control_id=pk, due_date=timezone.localdate()).pk}


def _framework(p: Any) -> dict[str, Any]:
    return {"pk": Framework.objects.create(key="matrix-framework", name="Matrix framework").pk}


ROUTES = [
    # Pages
    Route("governance:dashboard", GLOBAL_VIEW, kwargs=_audited),
    Route("governance:control_list", BROWSERS, note="auditor_aude without an engagement: 403"),
    Route("governance:control_list", SCOPE_READERS, kwargs=_audited, note="auditor_aude in an engagement"),
    Route("governance:control_csv", SCOPE_READERS, kwargs=_audited),
    Route("governance:control_bulk_owner", OFFICERS, method="post", ok=302, note="empty form: redirect with a message"),
    Route(
        "governance:control_test_bulk_assign",
        OFFICERS,
        method="post",
        ok=302,
        note="nothing ticked: back to the list with a message",
    ),
    Route("governance:control_create", OFFICERS, kwargs=_audited),
    Route(
        "governance:control_requirement_search",
        BROWSERS,
        kwargs=_audited,
        note="the control form's requirement picker (htmx): holders of view_requirement",
    ),
    Route("governance:control_detail", SCOPE_READERS, kwargs=_audited_control, denied=HIDDEN_OR_DENIED),
    Route(
        "governance:control_detail",
        BROWSERS,
        kwargs=_outside_control,
        denied=HIDDEN_OR_DENIED,
        note="outside the scope of auditor_aude's engagement: 404 for her",
    ),
    Route("governance:control_edit", CHANGERS, kwargs=_audited_control, denied=HIDDEN_OR_DENIED),
    Route("governance:control_record_test", CHANGERS, kwargs=_audited_control, denied=HIDDEN_OR_DENIED),
    Route(
        "governance:control_record_test",
        CHANGERS,
        kwargs=_audited_control,
        method="post",
        ok=400,
        denied=HIDDEN_OR_DENIED,
        note="no data: the form comes back with field errors",
    ),
    Route("governance:control_test_list", SCOPE_READERS, kwargs=_audited),
    Route("governance:control_test_csv", SCOPE_READERS, kwargs=_audited),
    Route("governance:soa", GLOBAL_VIEW, kwargs=_framework),
    Route("governance:soa_csv", GLOBAL_VIEW, kwargs=_framework),
    # API
    Route("control-list", BROWSERS, anonymous=API_ANON),
    Route("control-list", SCOPE_READERS, kwargs=_audited, anonymous=API_ANON),
    Route(
        "control-list",
        OFFICERS,
        method="post",
        data={"ref": "CTL-MATRIX-2", "title": "Created by the matrix"},
        ok=201,
        anonymous=API_ANON,
    ),
    Route("control-detail", SCOPE_READERS, kwargs=_audited_control, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("control-detail", BROWSERS, kwargs=_outside_control, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route(
        "control-detail",
        CHANGERS,
        kwargs=_audited_control,
        method="patch",
        data={"title": "Renamed"},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route(
        "control-detail",
        OFFICERS,
        kwargs=_audited_control,
        method="delete",
        ok=204,
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route(
        "control-map-requirements",
        CHANGERS,
        kwargs=_audited_control,
        method="post",
        data={"requirements": []},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route(
        "control-assign-owner",
        OFFICERS,
        kwargs=_audited_control,
        method="post",
        data={"owner": None},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    bulk_owner_api("control-bulk-owner", OFFICERS),
    Route("control-test-list", SCOPE_READERS, kwargs=_audited, anonymous=API_ANON),
    bulk_owner_api("control-test-bulk-assign", OFFICERS, field="assignee"),
    Route("control-test-detail", BROWSERS, kwargs=_test, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("control-test-detail", SCOPE_READERS, kwargs=_audited_test, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("control-test-detail", BROWSERS, kwargs=_outside_test, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("coverage-list", GLOBAL_VIEW, kwargs=_audited, anonymous=API_ANON),
    Route("soa-detail", GLOBAL_VIEW, kwargs=_framework, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
]
