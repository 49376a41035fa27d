"""Pages of the scheduler: run history, one run (with live status), jobs and their schedules,
and the progress page of an on-demand task (an import) for the person who queued it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, NotFoundError
from core.filters import apply_filters
from core.jobs_registry import get_job
from jobs import selectors, services
from jobs.filters import JobRunFilterSet
from jobs.forms import JobScheduleForm
from jobs.leases import scheduler_is_alive
from jobs.models import JobRun, JobSchedule

RUNS_PER_PAGE = 50
VIEW_PERM = "access.view_job_runs"
RUN_PERM = "access.run_jobs"
SCHEDULE_PERM = "workbench.change_jobschedule"


def _require(request: HttpRequest, *perms: str) -> None:
    if not all(request.user.has_perm(perm) for perm in perms):
        raise PermissionDenied


def _run_or_404(request: HttpRequest, run_id: int) -> JobRun:
    try:
        return selectors.job_run_for(request.user, run_id=run_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc


def _progress_context(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """The run (theirs, or any for holders of the view permission; others get a 404) and its task."""
    try:
        run = selectors.task_run_for(request.user, run_id=run_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    job = get_job(run.job_id)
    return {
        "run": run,
        "title": job.label if job else run.job_id,
        "result_template": job.result_template if job and run.result else "",
        "scheduler_missing": selectors.scheduler_missing_for(run),
        "can_view_runs": request.user.has_perm(VIEW_PERM),
        "stall_seconds": selectors.STALL_SECONDS,
    }


@login_required
@require_GET
def task_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """Progress of a queued task, then its result; the panel polls itself while the run is not finished."""
    return render(request, "jobs/task_progress.html", _progress_context(request, run_id))


@login_required
@require_GET
def task_progress_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress panel alone; htmx polls it every second while the run is queued or running."""
    return render(request, "jobs/_task_progress.html", _progress_context(request, run_id))


@login_required
@require_GET
def job_runs(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW_PERM)
    runs, filterset = apply_filters(JobRunFilterSet, selectors.job_runs_visible_to(request.user), request.GET, request)
    form = filterset.form
    form.is_valid()
    kept = {name: form.cleaned_data.get(name) for name in ("job", "status")}
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    filters = urlencode({k: v for k, v in kept.items() if v})
    context = {"form": form, "page": page, "filters": filters, "filtered": any(kept.values())}
    if not page.object_list and not context["filtered"]:
        context["scheduler_running"] = scheduler_is_alive()  # the empty state says what to do
    return render(request, "jobs/run_list.html", context)


@login_required
@require_GET
def job_run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    _require(request, VIEW_PERM)
    run = _run_or_404(request, run_id)
    return render(request, "jobs/run_detail.html", {"run": run, "job": get_job(run.job_id)})


@login_required
@require_GET
def job_run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """The status panel alone; htmx polls it while the run is queued or running."""
    _require(request, VIEW_PERM)
    run = _run_or_404(request, run_id)
    return render(request, "jobs/_run_status.html", {"run": run})


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW_PERM)
    context = {
        "rows": selectors.jobs_overview_for(request.user),
        "can_run": request.user.has_perm(RUN_PERM),
        "can_edit": request.user.has_perm(SCHEDULE_PERM),
        "poll_seconds": settings.SCHEDULER_POLL_SECONDS,
    }
    return render(request, "jobs/job_list.html", context)


@login_required
@require_POST
def job_run_now(request: HttpRequest, job_id: str) -> HttpResponse:
    _require(request, RUN_PERM)
    try:
        run = services.queue_job_run(actor=request.user, job_id=job_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        messages.warning(request, str(exc))
        return redirect("jobs:job_list")
    messages.success(
        request, f"{job_id} is queued; the scheduler starts it within {settings.SCHEDULER_POLL_SECONDS} seconds."
    )
    return redirect("jobs:job_run_detail", run_id=run.pk)


@login_required
@require_http_methods(["GET", "POST"])
def job_schedule_edit(request: HttpRequest, job_id: str) -> HttpResponse:
    _require(request, VIEW_PERM, SCHEDULE_PERM)
    job = get_job(job_id)
    if job is None or job.on_demand:
        raise Http404("There is no such job.")
    schedule = JobSchedule.objects.filter(job_id=job_id).first()
    source = schedule or job
    initial = {
        "cron": source.cron,
        "interval_seconds": source.interval_seconds,
        "enabled": schedule.enabled if schedule else True,
    }
    form = JobScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_job_schedule(
                actor=request.user,
                job_id=job_id,
                cron=form.cleaned_data["cron"],
                interval_seconds=form.cleaned_data["interval_seconds"],
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Schedule of {job_id} saved; the scheduler applies it at its next poll.")
            return redirect("jobs:job_list")
    return render(request, "jobs/schedule_form.html", {"form": form, "job": job}, status=200)
