"""What each role may do at all (model permissions). Object permissions narrow it.

Patterns are ``app_label.codename`` with shell-style wildcards, matched against the
permission table. ``sync_role_permissions`` makes each role's group hold exactly the
matching permissions; it runs in the roles data migration and after every migrate,
so permissions of models added later reach their roles too.

``<app>.own_<model>`` says a role may own objects of that model: only then do object
permissions on them (granted to the owner) count (``access.backends``), and a change of
roles removes the ones the new roles do not allow (``access.services.change_user_roles``).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from core.discovery import our_app_labels

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "Administrator": [
        "access.*",
        "auth.view_group",
        "governance.*",
        "policies.*",
        "backups.*",
        "audits.*",
        "workbench.*",
        "reviews.*",
    ],
    "Compliance officer": [
        "access.view_user",
        "access.view_audit_trail",
        "access.view_job_runs",
        "governance.*",
        # Policy documents (write, approve someone else's version, publish, acknowledge); of patch
        # checks: read everything, set the SLA, accept findings under exceptions.
        "policies.*_policy*",
        "policies.view_*",
        "policies.change_patchpolicy",
        "policies.accept_patchfinding",
        "audits.*",
        "workbench.view_jobrun",
        "reviews.view_*",
        "backups.view_*",
    ],
    "IT administrator": [
        "access.view_user",
        "access.view_job_runs",
        "access.run_jobs",
        "governance.view_*",
        "governance.*_asset",
        "governance.own_risk",
        "policies.view_*",
        "policies.acknowledge_policy",
        "policies.*_patch*",
        "policies.add_inventory",
        "policies.add_advisory",
        # Plans, sets and drills; recipients (keys) are the Administrators'.
        "backups.*_backupplan",
        "backups.*_backupset",
        "backups.*_restoredrill",
        "backups.view_backuprecipient",
        "workbench.view_jobrun",
        "workbench.view_jobschedule",
        "workbench.change_jobschedule",
        "reviews.*",
    ],
    "Control owner": [
        "governance.own_control",
        "governance.own_risk",
        "governance.view_framework",
        "governance.view_requirement",
        "governance.view_riskmatrix",
        "policies.view_policy*",
        "policies.acknowledge_policy",
        "audits.add_evidence",
    ],
    # Auditors hold no view permission: what they see is the scope of their active
    # engagements (audits.scope, through core.scopes). These say what they may do there.
    "Auditor": [
        "audits.add_evidencerequest",
        "audits.review_evidencerequest",
        "audits.build_pack",
    ],
    # Read and acknowledge the published policies addressed to them (policies.selectors.documents).
    "Employee": [
        "policies.view_policy*",
        "policies.acknowledge_policy",
    ],
}


def permissions_for(role: str, available: list[tuple[str, str, Any]]) -> list[Any]:
    """Pick from ``(app_label, codename, permission)`` triples those the role's patterns match."""
    patterns = ROLE_PERMISSIONS[role]
    return [perm for app, code, perm in available if any(fnmatchcase(f"{app}.{code}", p) for p in patterns)]


def sync_role_permissions(group_model: Any, permission_model: Any) -> None:
    """Create the role groups and give each exactly the permissions its patterns match."""
    perms = permission_model.objects.filter(content_type__app_label__in=["auth", *our_app_labels()]).select_related(
        "content_type"
    )
    available = [(p.content_type.app_label, p.codename, p) for p in perms]
    for role in ROLE_PERMISSIONS:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = {p.pk for p in permissions_for(role, available)}
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(list(wanted))
