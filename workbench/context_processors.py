"""Navigation by role: each entry is shown only to users holding its permission."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name, permission needed or None for every signed-in user)
NAVIGATION: list[tuple[str, str, str | None]] = [
    ("Home", "workbench:home", None),
    ("Compliance", "governance:dashboard", "governance.view_control"),
    ("Frameworks", "governance:framework_list", "governance.view_framework"),
    # Control owners hold view_requirement globally and see the controls they own.
    ("Controls", "governance:control_list", "governance.view_requirement"),
    # Control owners hold view_riskmatrix globally and see the risks they own.
    ("Risks", "governance:risk_list", "governance.view_riskmatrix"),
    ("Assets", "governance:asset_list", "governance.view_asset"),
    ("Exceptions", "governance:exception_list", "governance.view_complianceexception"),
    ("Users", "access:user_list", "access.manage_users"),
    ("Job runs", "workbench:job_runs", "access.view_job_runs"),
    ("Audit trail", "audits:trail", "access.view_audit_trail"),
    ("API tokens", "access:token_list", None),
    ("Account", "access:account", None),
]

# Entries shown together under one dropdown of the navbar (url name -> the dropdown's label),
# so the bar fits one line at 1280px even for an Administrator. Each keeps its own permission.
NAV_GROUPS: dict[str, str] = {
    "governance:dashboard": "Governance",
    "governance:framework_list": "Governance",
    "governance:control_list": "Governance",
    "governance:risk_list": "Governance",
    "governance:asset_list": "Governance",
    "governance:exception_list": "Governance",
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for label, name, perm in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        item = {"label": label, "url": url, "active": request.path == url}
        group_label = NAV_GROUPS.get(name)
        if group_label is None:
            items.append(item)
            continue
        if group_label not in groups:
            groups[group_label] = {"label": group_label, "children": [], "active": False}
            items.append(groups[group_label])
        groups[group_label]["children"].append(item)
        groups[group_label]["active"] |= item["active"]
    return {"nav_items": items}
