"""Scale data for benchmarks: job-run history."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from core import jobs_registry
from core.seeding import SeedContext, register_scale_seeder
from jobs.models import JobRun

SCALE_WORKER = "seed_scale"
FALLBACK_JOB_IDS = ["access.expire_api_tokens", "audits.verify_audit_trail", "backups.run_plans"]
# Manual runs are requested by an administrator (the role's group name; jobs imports no access code).
REQUESTER_GROUP = "Administrator"


@register_scale_seeder(order=50)
def seed_scale_job_runs(ctx: SeedContext) -> None:
    """``factor * 200`` finished runs of the registered jobs over the last 60 days."""
    target = ctx.factor * 200
    missing = target - JobRun.objects.filter(worker=SCALE_WORKER).count()
    if missing <= 0:
        ctx.record("job runs", 0)
        return
    job_ids = sorted(jobs_registry.discover()) or FALLBACK_JOB_IDS
    requester = get_user_model().objects.filter(groups__name=REQUESTER_GROUP).order_by("pk").first()
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
