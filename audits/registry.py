"""Which models the audit trail records, discovered from our apps.

Other apps never import ``audits``; this module walks their models instead, so a
new model is audited from the day it is added. Secrets and noisy fields are left out.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.apps import apps

from core.discovery import our_app_labels

NOT_AUDITED = {"audits.logentry", "audits.chainhead", "workbench.joblease"}
EXCLUDED_FIELDS: dict[str, list[str]] = {
    "access.user": ["password", "last_login"],
    "access.totpdevice": ["encrypted_key", "last_t", "drift", "throttling_failure_timestamp"],
    "access.recoverycode": ["code_hash"],
    "access.apitoken": ["token_hash", "last_used_at"],
}


def register_audited_models() -> None:
    our_apps = set(our_app_labels())
    for model in apps.get_models():
        label = model._meta.label_lower
        app_label = model._meta.app_label
        ours = app_label in our_apps
        wanted = ours or label in {"auth.group", "guardian.userobjectpermission", "guardian.groupobjectpermission"}
        # Direct foreign-key object-permission tables (guardian) live in our apps too.
        if not wanted or label in NOT_AUDITED or auditlog.contains(model):
            continue
        m2m = {f.name for f in model._meta.many_to_many}
        auditlog.register(model, exclude_fields=EXCLUDED_FIELDS.get(label, []), m2m_fields=m2m)
