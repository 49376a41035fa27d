"""Framework and requirement pages and API.

Who may do what (access/roles.py):

- read frameworks and requirements: Administrator, Compliance officer, IT administrator
  (governance.view_*) and Control owner (view_framework, view_requirement);
- import a framework, change applicability: Administrator and Compliance officer;
- Auditor: while an engagement they audit is in progress, read-only the frameworks and
  requirements of its scope (pages, CSV and API); a framework or requirement outside it is a
  404, and without an engagement the pages are refused (403). Nothing they may change.
- Employee: nothing here (403).
"""

from __future__ import annotations

from typing import Any

from governance.models import Framework, Requirement
from tests.security.expectations import API_ANON, Route, bulk_owner_api, roles
from tests.security.expectations.audits_engagements import in_engagement

READERS = roles("admin_alice", "officer_olga", "it_ivan", "owner_omar")
SCOPE_READERS = READERS | {"auditor_aude"}  # auditor_aude audits the matrix framework (in_engagement)
EDITORS = roles("admin_alice", "officer_olga")
HIDDEN_OR_DENIED = (403, 404)


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


def _audited(p: Any) -> dict[str, Any]:
    """The matrix framework in the scope of an engagement auditor_aude audits (for the lists)."""
    in_engagement(p, frameworks=[_requirement().framework])
    return {}


def _audited_framework(p: Any) -> dict[str, Any]:
    _audited(p)
    return _framework_pk(p)


def _audited_requirement(p: Any) -> dict[str, Any]:
    _audited(p)
    return _requirement_pk(p)


def _outside() -> Requirement:
    """A requirement of another framework, outside every engagement's scope."""
    framework = Framework.objects.create(key="matrix-outside", name="Outside framework")
    return Requirement.objects.create(framework=framework, ref_id="O-1", title="Outside requirement")


def _outside_framework(p: Any) -> dict[str, Any]:
    _audited(p)
    return {"pk": _outside().framework_id}


def _outside_requirement(p: Any) -> dict[str, Any]:
    _audited(p)
    return {"pk": _outside().pk}


ROUTES = [
    # Pages
    Route("governance:framework_list", READERS, note="auditor_aude without an engagement: 403"),
    Route("governance:framework_list", SCOPE_READERS, kwargs=_audited, note="auditor_aude in an engagement"),
    Route("governance:framework_export", SCOPE_READERS, kwargs=_audited),
    Route("governance:framework_detail", READERS, kwargs=_framework_pk),
    Route("governance:framework_detail", SCOPE_READERS, kwargs=_audited_framework),
    Route(
        "governance:framework_detail",
        READERS,
        kwargs=_outside_framework,
        denied=HIDDEN_OR_DENIED,
        note="outside the scope of auditor_aude's engagement: 404 for her",
    ),
    Route("governance:framework_import", EDITORS),
    # A POST without a file: editors get the form back with the error (400), never a 500.
    Route("governance:framework_import", EDITORS, method="post", ok=400),
    # The file formats, as a page: for everyone who reads frameworks.
    Route("governance:framework_format", READERS),
    # The shipped library, loaded with a button (the service of ``manage.py load_library``).
    Route(
        "governance:framework_load_library",
        EDITORS,
        method="post",
        ok=302,
        wrote=lambda p: Framework.objects.filter(key="rampart-backoffice-baseline").exists(),
    ),
    Route("governance:requirement_list", READERS),
    Route("governance:requirement_list", SCOPE_READERS, kwargs=_audited),
    Route("governance:requirement_export", SCOPE_READERS, kwargs=_audited),
    Route("governance:requirement_detail", READERS, kwargs=_requirement_pk),
    Route("governance:requirement_detail", SCOPE_READERS, kwargs=_audited_requirement),
    Route("governance:requirement_detail", READERS, kwargs=_outside_requirement, denied=HIDDEN_OR_DENIED),
    Route("governance:requirement_applicability", EDITORS, kwargs=_audited_requirement, note="auditors read only"),
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
    Route("framework-list", SCOPE_READERS, kwargs=_audited, anonymous=API_ANON),
    Route("framework-detail", SCOPE_READERS, kwargs=_audited_framework, anonymous=API_ANON),
    Route("framework-detail", READERS, kwargs=_outside_framework, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    # A POST without a file: editors get 400 naming the field.
    Route("framework-import", EDITORS, method="post", ok=400, anonymous=API_ANON),
    bulk_owner_api("framework-bulk-owner", EDITORS),
    Route("requirement-list", SCOPE_READERS, kwargs=_audited, anonymous=API_ANON),
    bulk_owner_api("requirement-bulk-owner", EDITORS),
    Route("requirement-detail", SCOPE_READERS, kwargs=_audited_requirement, anonymous=API_ANON),
    Route("requirement-detail", READERS, kwargs=_outside_requirement, denied=HIDDEN_OR_DENIED, anonymous=API_ANON),
    Route(
        "requirement-detail",
        EDITORS,
        kwargs=_audited_requirement,
        method="patch",
        denied=HIDDEN_OR_DENIED,
        data={"applicable": False, "justification": "Matrix"},
        anonymous=API_ANON,
    ),
]
