"""Scale data for benchmarks: audit-trail history and job-run history.

Audit entries go through the real chained ``LogEntry.save`` (the trail refuses bulk
writes, and on PostgreSQL its head moves one entry at a time), all in one
transaction per seeder, so ``verify_audit_trail`` accepts the result. That costs a
few queries per entry: about a second per thousand.
"""

from __future__ import annotations

import getpass
import random
from datetime import timedelta

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from access.models import Role, User
from access.seed import SCALE_DOMAIN
from audits.models import LogEntry
from workbench import jobs_registry
from workbench.models import JobRun
from workbench.seeding import SeedContext, register_scale_seeder

SCALE_CID = "seed_scale"
SCALE_WORKER = "seed_scale"
FALLBACK_JOB_IDS = ["access.expire_api_tokens", "audits.verify_audit_trail", "backups.run_plans"]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@register_scale_seeder(order=80)
def seed_scale_audit_entries(ctx: SeedContext) -> None:
    """``factor * 1000`` entries about the bulk users, made by administrators."""
    target = ctx.factor * 1000
    missing = target - LogEntry.objects.filter(cid=SCALE_CID).count()
    users = list(User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}").order_by("pk").values("pk", "email"))
    if missing <= 0 or not users:
        ctx.record("audit-trail entries", 0)
        return
    admins = Group.objects.get(name=Role.ADMINISTRATOR).user_set.order_by("pk").values_list("pk", "email")
    actors: list[tuple[int | None, str | None]] = list(admins) or [(None, None)]
    user_type = ContentType.objects.get_for_model(User)
    now = timezone.now()
    last = LogEntry.objects.order_by("-sequence").values_list("timestamp", flat=True).first()
    # Timestamps never go backwards along the chain.
    start = max(now - timedelta(days=30), last) if last else now - timedelta(days=30)
    step = (now - start) / max(missing, 1)
    extra = {"via": ctx.via, "os_user": _os_user()}
    done = LogEntry.objects.filter(cid=SCALE_CID).count()
    for i in range(missing):
        n = done + i
        user = users[n % len(users)]
        actor_id, actor_email = actors[n % len(actors)]
        name = f"Scale User {user['email'].split('@')[0].removeprefix('user')}"
        if n < len(users):
            action = LogEntry.Action.CREATE
            changes = {"email": ["None", user["email"]], "full_name": ["None", name], "is_active": ["None", "True"]}
        else:
            action = LogEntry.Action.UPDATE
            flip = (n // len(users)) % 2 == 1
            changes = {"is_active": ["True", "False"] if flip else ["False", "True"]}
        LogEntry(
            content_type_id=user_type.pk,
            object_pk=str(user["pk"]),
            object_id=user["pk"],
            object_repr=name,
            action=action,
            changes=changes,
            changes_text="",
            actor_id=actor_id,
            actor_email=actor_email,
            cid=SCALE_CID,
            timestamp=start + step * i,
            additional_data=extra,
        ).save()
    ctx.record("audit-trail entries", missing)


@register_scale_seeder(order=50)
def seed_scale_job_runs(ctx: SeedContext) -> None:
    """``factor * 200`` finished runs of the registered jobs over the last 60 days."""
    target = ctx.factor * 200
    missing = target - JobRun.objects.filter(worker=SCALE_WORKER).count()
    if missing <= 0:
        ctx.record("job runs", 0)
        return
    job_ids = sorted(jobs_registry.discover()) or FALLBACK_JOB_IDS
    requester = Group.objects.get(name=Role.ADMINISTRATOR).user_set.order_by("pk").first()
    rng = random.Random(missing)  # noqa: S311 - made-up data, not a secret
    now = timezone.now()
    runs = []
    for i in range(missing):
        queued = now - timedelta(days=60) + timedelta(days=60) * (i / missing)
        started = queued + timedelta(seconds=rng.randint(0, 5))
        finished = started + timedelta(seconds=rng.randint(1, 120))
        roll = rng.random()
        status = (
            JobRun.Status.SUCCEEDED if roll < 0.9 else (JobRun.Status.FAILED if roll < 0.97 else JobRun.Status.SKIPPED)
        )
        manual = requester is not None and i % 10 == 0
        runs.append(
            JobRun(
                job_id=job_ids[i % len(job_ids)],
                trigger=JobRun.Trigger.MANUAL if manual else JobRun.Trigger.SCHEDULE,
                status=status,
                requested_by=requester if manual else None,
                queued_at=queued,
                started_at=started,
                finished_at=finished,
                worker=SCALE_WORKER,
                output="Done." if status == JobRun.Status.SUCCEEDED else "",
                error="Made-up failure for benchmarks." if status == JobRun.Status.FAILED else "",
            )
        )
    JobRun.objects.bulk_create(runs, batch_size=1000)
    ctx.record("job runs", len(runs))
