"""Run one job now in the foreground: ``manage.py run_job JOB_ID [--actor EMAIL]``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.jobs_registry import discover
from jobs import scheduler
from jobs.models import JobRun


class Command(BaseCommand):
    help = "Run a registered job now and record the run. Exits non-zero unless it succeeded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", help="Registered job id, e.g. access.expire_api_tokens.")
        parser.add_argument("--actor", default="", help="Email of the person the audit trail names as actor.")

    def handle(self, *args: Any, **options: Any) -> None:
        job_id = options["job_id"]
        jobs = discover()
        if job_id not in jobs:
            known = ", ".join(sorted(jobs)) or "none"
            raise CommandError(f"No job is registered with the id {job_id!r}. Registered jobs: {known}.")
        if jobs[job_id].on_demand:
            raise CommandError(f"{job_id} is an on-demand task: it runs when its page or API queues it, with a file.")
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(email__iexact=options["actor"].strip(), is_active=True).first()
            if actor is None:
                raise CommandError(f"--actor: no active user has the email {options['actor']!r}.")
        run = scheduler.run_job_now(job_id, actor=actor, trigger=JobRun.Trigger.COMMAND)
        if run.output:
            self.stdout.write(run.output)
        if run.status != JobRun.Status.SUCCEEDED:
            if run.error:
                self.stderr.write(run.error)
            raise CommandError(f"{job_id}: {run.get_status_display()} (run #{run.pk}).")
        self.stdout.write(self.style.SUCCESS(f"{job_id}: succeeded (run #{run.pk})."))
