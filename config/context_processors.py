"""Navigation by role: each entry is shown only to users holding its permission."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from access.middleware import MFA_ENROLLED_SESSION_KEY, MFA_EXEMPT_PREFIXES
from access.models import Role
from audits.engagements.selectors import may_browse_audits
from audits.scope import active_engagements_of
from governance.models import ComplianceException, Control, Framework, Risk
from governance.scoping import may_view

ENGAGEMENTS = "audits.add_evidencerequest"
VIEW_EXCEPTIONS = "governance.view_complianceexception"


@dataclass(frozen=True)
class InScope:
    """Holders of ``perm``; and an Auditor while an engagement in progress puts rows of ``model`` in
    scope (the page then shows those rows only). Whether the Auditor audits anything today is
    asked once per menu, so an Auditor between engagements pays one query, not one per entry."""

    perm: str
    model: type[Any]


# (label, url name, who sees it): a permission, a scope rule (InScope), a test of the user (for
# pages whose rule is not one permission), or None for every signed-in user. An entry is shown
# only to people its page lets in, so no one follows a menu entry to a refusal.
NAVIGATION: list[tuple[str, str, str | InScope | Callable[[Any], bool] | None]] = [
    ("Home", "home", None),
    ("Compliance", "governance:dashboard", "governance.view_control"),
    ("Frameworks", "governance:framework_list", InScope("governance.view_framework", Framework)),
    # Control owners hold view_requirement globally and see the controls they own.
    ("Controls", "governance:control_list", InScope("governance.view_requirement", Control)),
    # Control owners hold view_riskmatrix globally and see the risks they own.
    ("Risks", "governance:risk_list", InScope("governance.view_riskmatrix", Risk)),
    ("Assets", "governance:asset_list", "governance.view_asset"),
    (
        "Exceptions",
        "governance:exception_list",
        InScope("governance.view_complianceexception", ComplianceException),
    ),
    # Everyone who reads policies: managers see them all, others those addressed to them.
    ("Policies", "policies:policy_list", "policies.view_policy"),
    ("Patches", "policies:patch_findings", "policies.view_patchfinding"),
    ("Access reviews", "reviews:dashboard", "reviews.view_systemaccount"),
    # IT administrators (and Compliance officers) read users' access; only Administrators change it.
    ("Users", "access:user_list", "access.view_user"),
    ("Job runs", "jobs:job_runs", "access.view_job_runs"),
    ("Backups", "backups:overview", "backups.view_backupplan"),
    # Officers, and auditors while one of their engagements runs (the page refuses them otherwise).
    ("Engagements", "audits:engagement_list", lambda user: user.has_perm(ENGAGEMENTS) and may_browse_audits(user)),
    ("Evidence", "audits:evidence_list", "audits.add_evidence"),
    ("Evidence requests", "audits:request_list", "audits.add_evidence"),
    ("Audit trail", "audits:trail", "access.view_audit_trail"),
    # Anyone may be named reviewer of a campaign, and anyone may ask for access for a while.
    ("My reviews", "reviews:my_reviews", None),
    ("Access requests", "reviews:access_requests", None),
    ("API tokens", "access:token_list", None),
    ("API documentation", "api-docs", None),
    ("Account", "access:account", None),
]

# Entries shown together under one dropdown of the navbar (url name -> the dropdown's label),
# so the bar fits one line at 1280px even for an Administrator. Each keeps its own permission.
# A group of which a user sees one entry only shows as that entry.
NAV_GROUPS: dict[str, str] = {
    "governance:dashboard": "Governance",
    "governance:framework_list": "Governance",
    "governance:control_list": "Governance",
    "governance:risk_list": "Governance",
    "governance:asset_list": "Governance",
    "governance:exception_list": "Governance",
    "reviews:dashboard": "Governance",
    "policies:policy_list": "Governance",
    "policies:patch_findings": "Governance",
    "audits:engagement_list": "Audits",
    "audits:evidence_list": "Audits",
    "audits:request_list": "Audits",
    "reviews:my_reviews": "Access",
    "reviews:access_requests": "Access",
    "access:token_list": "API",
    "api-docs": "API",
}


def second_step_pending(request: HttpRequest) -> bool:
    """Signed in with a password, but not yet through the second factor the account needs.

    The same rule as ``access.middleware.MFARequiredMiddleware``: roles that require MFA,
    and anyone who has an authenticator, pass it before they reach the product. That
    middleware lets such a person reach only its exempt paths (the second-factor pages), so
    any other page is past the second step, and asks nothing of the database here.
    """
    user: Any = request.user
    if not request.path.startswith(MFA_EXEMPT_PREFIXES):
        return False
    if not user.is_authenticated or getattr(user, "is_verified", lambda: True)():
        return False
    return bool(user.mfa_required or request.session.get(MFA_ENROLLED_SESSION_KEY))


@functools.cache
def _menu_url(name: str, prefix: str, urlconf: str | None) -> str | None:
    """The menu entry's address, worked out once per process (the menu's 25 ``reverse`` calls
    cost about a millisecond on every page); the prefix and URLconf it depends on are the key."""
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or second_step_pending(request):
        return {"nav_items": []}
    items: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    auditing: bool | None = None  # asked on the first InScope entry a permission does not settle

    def shown(test: str | InScope | Callable[[Any], bool] | None) -> bool:
        nonlocal auditing
        if test is None:
            return True
        if isinstance(test, str):
            return bool(user.has_perm(test))
        if not isinstance(test, InScope):
            return test(user)
        if user.has_perm(test.perm):
            return True
        if auditing is None:
            auditing = user.has_role(Role.AUDITOR) and active_engagements_of(user).exists()
        return auditing and may_view(user, test.model, test.perm)

    for label, name, test in NAVIGATION:
        if not shown(test):
            continue
        url = _menu_url(name, get_script_prefix(), get_urlconf())
        if url is None:
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
    # A dropdown with one entry is that entry (an Employee's "Policies" is a plain link, not "Governance").
    items = [item["children"][0] if len(item.get("children", ())) == 1 else item for item in items]
    return {"nav_items": items}
