"""Backups: plans, sets and drills for IT administrators (and Administrators), read-only for
Compliance officers; recipients (the keys) are managed by Administrators only."""

from __future__ import annotations

from typing import Any

from backups.age import X25519Identity
from backups.models import BackupPlan, BackupRecipient, BackupSet
from jobs.models import JobRun
from tests.security.expectations import Route, roles

VIEWERS = roles("admin_alice", "officer_olga", "it_ivan")
MANAGERS = roles("admin_alice", "it_ivan")
KEY_KEEPERS = roles("admin_alice")
WRITTEN = "Matrix plan"


def _plan(p: Any) -> BackupPlan:
    return BackupPlan.objects.get_or_create(name="Nightly", defaults={"cron": "30 2 * * *"})[0]


def _plan_kwargs(p: Any) -> dict[str, Any]:
    return {"pk": _plan(p).pk}


def _set_kwargs(p: Any) -> dict[str, Any]:
    plan = _plan(p)
    backup_set = BackupSet.objects.create(
        set_id="20261201T023000Z-abcdef", plan=plan, plan_name=plan.name, trigger=BackupSet.Trigger.SCHEDULE
    )
    return {"set_id": backup_set.set_id}


def _recipient_kwargs(p: Any) -> dict[str, Any]:
    public_key = str(X25519Identity.generate().recipient)
    return {"pk": BackupRecipient.objects.create(name="Safe", public_key=public_key).pk}


def _plan_body(p: Any) -> dict[str, Any]:
    return {
        "name": WRITTEN,
        "what": "both",
        "cron": "15 3 * * *",
        "destination": "",
        "compression": "on",
        "keep_daily": 7,
        "keep_weekly": 4,
        "keep_monthly": 6,
        "active": "on",
    }


def _recipient_body(p: Any) -> dict[str, Any]:
    return {"name": "Offline laptop", "public_key": str(X25519Identity.generate().recipient)}


ROUTES = [
    Route("backups:overview", VIEWERS),
    Route("backups:plan_create", MANAGERS),
    Route(
        "backups:plan_create",
        MANAGERS,
        method="post",
        ok=302,
        data=_plan_body,
        wrote=lambda p: BackupPlan.objects.filter(name=WRITTEN).exists(),
    ),
    Route("backups:plan_detail", VIEWERS, kwargs=_plan_kwargs),
    Route("backups:plan_edit", MANAGERS, kwargs=_plan_kwargs),
    Route(
        "backups:plan_edit",
        MANAGERS,
        kwargs=_plan_kwargs,
        method="post",
        ok=302,
        data=_plan_body,
        wrote=lambda p: BackupPlan.objects.filter(name=WRITTEN).exists(),
    ),
    Route(
        "backups:plan_run",
        MANAGERS,
        kwargs=_plan_kwargs,
        method="post",
        ok=302,
        wrote=lambda p: JobRun.objects.filter(job_id="backups.run_plan").exists(),
        note="queues the backup; the person lands on its progress page",
    ),
    Route(
        "backups:plan_delete",
        MANAGERS,
        kwargs=_plan_kwargs,
        method="post",
        ok=302,
        wrote=lambda p: not BackupPlan.objects.filter(name="Nightly").exists(),
    ),
    Route("backups:plan_retention", VIEWERS, kwargs=_plan_kwargs, note="a dry run: nothing is deleted"),
    Route("backups:set_list", VIEWERS),
    Route("backups:set_detail", VIEWERS, kwargs=_set_kwargs),
    Route("backups:drill_list", VIEWERS),
    Route("backups:recipient_list", VIEWERS),
    Route("backups:recipient_add", KEY_KEEPERS),
    Route(
        "backups:recipient_add",
        KEY_KEEPERS,
        method="post",
        ok=302,
        data=_recipient_body,
        wrote=lambda p: BackupRecipient.objects.filter(name="Offline laptop").exists(),
    ),
    Route(
        "backups:recipient_remove",
        KEY_KEEPERS,
        kwargs=_recipient_kwargs,
        method="post",
        ok=302,
        wrote=lambda p: not BackupRecipient.objects.filter(name="Safe").exists(),
    ),
]
