"""Framework and requirement pages and API.

Who may do what (access/roles.py):

- read frameworks and requirements: Administrator, Compliance officer, IT administrator
  (governance.view_*) and Control owner (view_framework, view_requirement);
- import a framework, change applicability: Administrator and Compliance officer;
- Auditor and Employee: nothing here (403).
"""

from __future__ import annotations

from typing import Any

from governance.models import Framework, Requirement
from tests.security.expectations import API_ANON, Route, bulk_owner_api, roles

READERS = roles("admin_alice", "officer_olga", "it_ivan", "owner_omar")
EDITORS = roles("admin_alice", "officer_olga")


def _requirement() -> Requirement:
    framework, _ = Framework.objects.get_or_create(key="matrix-framework", defaults={"name": "Matrix framework"})
    requirement, _ = Requirement.objects.get_or_create(
        framework=framework, ref_id="M-1", defaults={"title": "Matrix requirement"}
    )
    return requirement


def _framework_pk(p: Any) -> dict[str, Any]:
    return {"pk": _requirement().framework_id}


def _requirement_pk(p: Any) -> dict[str, Any]:
    return {"pk": _requirement().pk}


ROUTES = [
    # Pages
    Route("governance:framework_list", READERS),
    Route("governance:framework_export", READERS),
    Route("governance:framework_detail", READERS, kwargs=_framework_pk),
    Route("governance:framework_import", EDITORS),
    # A POST without a file: editors get the form back with the error (400), never a 500.
    Route("governance:framework_import", EDITORS, method="post", ok=400),
    Route("governance:requirement_list", READERS),
    Route("governance:requirement_export", READERS),
    Route("governance:requirement_detail", READERS, kwargs=_requirement_pk),
    Route("governance:requirement_applicability", EDITORS, kwargs=_requirement_pk),
    Route(
        "governance:requirement_applicability",
        EDITORS,
        kwargs=_requirement_pk,
        method="post",
        data={"applicable": "no", "justification": "Matrix"},
        ok=302,
    ),
    # Nothing selected: editors are sent back to the list with a message.
    Route("governance:requirement_bulk_applicability", EDITORS, method="post", ok=302),
    Route(
        "governance:framework_bulk_owner",
        EDITORS,
        method="post",
        ok=302,
        note="nothing ticked: back to the list with a message",
    ),
    Route(
        "governance:requirement_bulk_owner",
        EDITORS,
        method="post",
        ok=302,
        note="nothing ticked: back to the list with a message",
    ),
    # API
    Route("framework-list", READERS, anonymous=API_ANON),
    Route("framework-detail", READERS, kwargs=_framework_pk, anonymous=API_ANON),
    # A POST without a file: editors get 400 naming the field.
    Route("framework-import", EDITORS, method="post", ok=400, anonymous=API_ANON),
    bulk_owner_api("framework-bulk-owner", EDITORS),
    Route("requirement-list", READERS, anonymous=API_ANON),
    bulk_owner_api("requirement-bulk-owner", EDITORS),
    Route("requirement-detail", READERS, kwargs=_requirement_pk, anonymous=API_ANON),
    Route(
        "requirement-detail",
        EDITORS,
        kwargs=_requirement_pk,
        method="patch",
        data={"applicable": False, "justification": "Matrix"},
        anonymous=API_ANON,
    ),
]
