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
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from governance.models import Control, ControlTest, Framework
from governance.scoping import hand_over_object_perms
from tests.security.expectations import API_ANON, Route, bulk_owner_api, roles

GLOBAL_VIEW = roles("admin_alice", "officer_olga", "it_ivan")
OFFICERS = roles("admin_alice", "officer_olga")
BROWSERS = roles("admin_alice", "officer_olga", "it_ivan", "owner_omar")
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


def _framework(p: Any) -> dict[str, Any]:
    return {"pk": Framework.objects.create(key="matrix-framework", name="Matrix framework").pk}


ROUTES = [
    # Pages
    Route("governance:dashboard", GLOBAL_VIEW),
    Route("governance:control_list", BROWSERS),
    Route("governance:control_csv", BROWSERS),
    Route("governance:control_bulk_owner", OFFICERS, method="post", ok=302, note="empty form: redirect with a message"),
    Route(
        "governance:control_test_bulk_assign",
        OFFICERS,
        method="post",
        ok=302,
        note="nothing ticked: back to the list with a message",
    ),
    Route("governance:control_create", OFFICERS),
    Route(
        "governance:control_requirement_search",
        BROWSERS,
        note="the control form's requirement picker (htmx): holders of view_requirement",
    ),
    Route("governance:control_detail", BROWSERS, kwargs=_control, denied=HIDDEN_OR_DENIED),
    Route("governance:control_edit", CHANGERS, kwargs=_control, denied=HIDDEN_OR_DENIED),
    Route("governance:control_record_test", CHANGERS, kwargs=_control, denied=HIDDEN_OR_DENIED),
    Route(
        "governance:control_record_test",
        CHANGERS,
        kwargs=_control,
        method="post",
        ok=400,
        denied=HIDDEN_OR_DENIED,
        note="no data: the form comes back with field errors",
    ),
    Route("governance:control_test_list", BROWSERS),
    Route("governance:control_test_csv", BROWSERS),
    Route("governance:soa", GLOBAL_VIEW, kwargs=_framework),
    Route("governance:soa_csv", GLOBAL_VIEW, kwargs=_framework),
    # API
    Route("control-list", BROWSERS, anonymous=API_ANON),
    Route(
        "control-list",
        OFFICERS,
        method="post",
        data={"ref": "CTL-MATRIX-2", "title": "Created by the matrix"},
        ok=201,
        anonymous=API_ANON,
    ),
    Route("control-detail", BROWSERS, kwargs=_control, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route(
        "control-detail",
        CHANGERS,
        kwargs=_control,
        method="patch",
        data={"title": "Renamed"},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route(
        "control-detail",
        OFFICERS,
        kwargs=_control,
        method="delete",
        ok=204,
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route(
        "control-map-requirements",
        CHANGERS,
        kwargs=_control,
        method="post",
        data={"requirements": []},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    Route(
        "control-assign-owner",
        OFFICERS,
        kwargs=_control,
        method="post",
        data={"owner": None},
        denied=HIDDEN_OR_DENIED,
        anonymous=API_ANON,
    ),
    bulk_owner_api("control-bulk-owner", OFFICERS),
    Route("control-test-list", BROWSERS, anonymous=API_ANON),
    bulk_owner_api("control-test-bulk-assign", OFFICERS, field="assignee"),
    Route("control-test-detail", BROWSERS, kwargs=_test, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route("coverage-list", GLOBAL_VIEW, anonymous=API_ANON),
    Route("soa-detail", GLOBAL_VIEW, kwargs=_framework, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
]
