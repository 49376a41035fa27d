"""The scheduler API: registered jobs, their run history, and "run now".

- ``/jobs/`` and ``/job-runs/``: holders of ``access.view_job_runs`` (Administrator,
  Compliance officer, IT administrator), read-only.
- ``POST /jobs/{job_id}/run/``: holders of ``access.run_jobs``; queues a run (202) that
  the scheduler process picks up, exactly like the "Run now" button.
- ``GET /job-runs/{id}/`` is also open to the person who queued the run (an import they
  started, say), so they can follow its progress and read its result; others get 404.
  A run's parameters are never shown.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import router
from core.api_permissions import HasRequiredPerm, IsSignedIn
from jobs import selectors, services
from jobs.filters import JobRunFilterSet
from jobs.models import JobRun
from jobs.selectors import JobOverview

VIEW_PERM = "access.view_job_runs"
RUN_PERM = "access.run_jobs"


# --- Serializers ---


class ProgressOutput(serializers.Serializer[Any]):
    phase = serializers.CharField(source="progress_phase", help_text="What the run is doing, in words.")
    done = serializers.IntegerField(source="progress_done", allow_null=True)
    total = serializers.IntegerField(source="progress_total", allow_null=True)
    percent = serializers.IntegerField(source="progress_percent", allow_null=True)
    updated_at = serializers.DateTimeField(source="progress_at", allow_null=True)


class JobRunOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    job_id = serializers.CharField()
    trigger = serializers.ChoiceField(choices=JobRun.Trigger.choices)
    status = serializers.ChoiceField(choices=JobRun.Status.choices)
    requested_by = serializers.EmailField(source="requested_by.email", allow_null=True, default=None)
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.FloatField(allow_null=True)
    worker = serializers.CharField()
    output = serializers.CharField()
    error = serializers.CharField(
        help_text="Why a failed run failed (a message, or the traceback of an unexpected error); empty otherwise."
    )
    progress = ProgressOutput(source="*", help_text="How far an on-demand task got (empty for scheduled jobs).")
    result = serializers.JSONField(
        help_text="What an on-demand task produced, e.g. an import report or the problems of a refused file."
    )
    url = serializers.SerializerMethodField(help_text="This run in the API.")
    progress_url = serializers.SerializerMethodField(help_text="The page that shows this run's progress and result.")

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, run: JobRun) -> str:
        return self._absolute(reverse("jobrun-detail", kwargs={"pk": run.pk}))

    def get_progress_url(self, run: JobRun) -> str:
        return self._absolute(reverse("jobs:task_progress", kwargs={"run_id": run.pk}))


class JobRunSummary(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=JobRun.Status.choices)
    queued_at = serializers.DateTimeField()


class JobOutput(serializers.Serializer[Any]):
    job_id = serializers.CharField()
    description = serializers.CharField(source="job.description")
    cron = serializers.SerializerMethodField(help_text="Five-field cron expression (UTC); empty for an interval.")
    interval_seconds = serializers.SerializerMethodField()
    enabled = serializers.BooleanField()
    last_run = JobRunSummary(allow_null=True)
    next_run_at = serializers.DateTimeField(allow_null=True, help_text="When the schedule is next due (UTC).")

    def get_cron(self, row: JobOverview) -> str:
        return (row.schedule or row.job).cron

    def get_interval_seconds(self, row: JobOverview) -> int | None:
        return (row.schedule or row.job).interval_seconds


# --- Views ---


class CanReadRuns(IsSignedIn):
    """The run history needs ``access.view_job_runs``; one run is also open to whoever queued it."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return view.action == "retrieve" or bool(request.user.has_perm(VIEW_PERM))


@extend_schema_view(
    list=extend_schema(summary="List job runs, newest first"),
    retrieve=extend_schema(summary="One job run with its status, progress, output and result"),
)
class JobRunViewSet(viewsets.ReadOnlyModelViewSet[JobRun]):
    """The history of scheduled, manual, command-line and on-demand runs."""

    permission_classes = [CanReadRuns]
    serializer_class = JobRunOutput
    lookup_value_regex = "[0-9]+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = JobRunFilterSet

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return JobRun.objects.none()
        if self.action != "list":
            return selectors.own_or_visible_runs(self.request.user).order_by("-queued_at", "-pk")
        return selectors.job_runs_visible_to(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List registered jobs with their schedules", responses=JobOutput(many=True)),
    retrieve=extend_schema(
        summary="One registered job",
        responses=JobOutput,
        parameters=[OpenApiParameter("job_id", str, OpenApiParameter.PATH, description="Registered job id.")],
    ),
    run=extend_schema(
        summary="Queue a run now",
        request=None,
        responses={202: JobRunOutput},
        parameters=[OpenApiParameter("job_id", str, OpenApiParameter.PATH, description="Registered job id.")],
    ),
)
class JobViewSet(viewsets.ViewSet):
    """Registered jobs: schedule, last run and next due time."""

    permission_classes = [HasRequiredPerm]
    lookup_field = "job_id"
    lookup_value_regex = r"[A-Za-z0-9_.\-]+"

    @property
    def required_perm(self) -> str:
        return RUN_PERM if self.action == "run" else VIEW_PERM

    def _row(self, request: Request, job_id: str) -> JobOverview:
        for row in selectors.jobs_overview_for(request.user):
            if row.job_id == job_id:
                return row
        raise NotFound("There is no job with this id.")

    def list(self, request: Request) -> Response:
        rows = selectors.jobs_overview_for(request.user)
        return Response(JobOutput(rows, many=True).data)

    def retrieve(self, request: Request, job_id: str) -> Response:
        return Response(JobOutput(self._row(request, job_id)).data)

    @action(detail=True, methods=["post"])
    def run(self, request: Request, job_id: str) -> Response:
        run = services.queue_job_run(actor=request.user, job_id=job_id)
        return Response(JobRunOutput(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)


router.register("job-runs", JobRunViewSet, basename="jobrun")
router.register("jobs", JobViewSet, basename="job")
