"""What each role may do at all (model permissions). Object permissions narrow it.

Patterns are ``app_label.codename`` with shell-style wildcards, matched against the
permission table. ``sync_role_permissions`` makes each role's group hold exactly the
matching permissions; it runs in the roles data migration and after every migrate,
so permissions of models added later reach their roles too.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Administrator": [
        "access.*",
        "auth.view_group",
        "governance.*",
        "policies.*",
        "backups.*",
        "audits.*",
        "workbench.*",
    ],
    "Compliance officer": [
        "access.view_user",
        "access.view_audit_trail",
        "access.view_job_runs",
        "governance.*",
        "policies.*",
        "audits.*",
        "workbench.view_jobrun",
    ],
    "IT administrator": [
        "access.view_user",
        "access.view_job_runs",
        "access.run_jobs",
        "governance.view_*",
        "governance.*_asset",
        "policies.view_*",
        "policies.*_patch*",
        "backups.*",
        "workbench.view_jobrun",
        "workbench.view_jobschedule",
        "workbench.change_jobschedule",
    ],
    "Control owner": [
        "governance.view_framework",
        "governance.view_requirement",
        "governance.view_riskmatrix",
        "policies.view_policy*",
    ],
    "Auditor": [],
    "Employee": [
        "policies.view_policy*",
    ],
}

OUR_APP_LABELS = ("access", "auth", "governance", "policies", "backups", "audits", "workbench")


def permissions_for(role: str, available: list[tuple[str, str, Any]]) -> list[Any]:
    """Pick from ``(app_label, codename, permission)`` triples those the role's patterns match."""
    patterns = ROLE_PERMISSIONS[role]
    return [perm for app, code, perm in available if any(fnmatchcase(f"{app}.{code}", p) for p in patterns)]


def sync_role_permissions(group_model: Any, permission_model: Any) -> None:
    """Create the role groups and give each exactly the permissions its patterns match."""
    perms = permission_model.objects.filter(content_type__app_label__in=OUR_APP_LABELS).select_related("content_type")
    available = [(p.content_type.app_label, p.codename, p) for p in perms]
    for role in ROLE_PERMISSIONS:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = {p.pk for p in permissions_for(role, available)}
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(list(wanted))
