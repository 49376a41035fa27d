"""The scheduler API: runs and jobs to read, run now to queue; the same rules as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from access.services import create_api_token
from jobs.models import JobRun
from jobs.services import ensure_default_schedules
from tests.jobs.conftest import JobsUnderTest

pytestmark = pytest.mark.django_db


def _api(user: Any) -> APIClient:
    _, raw = create_api_token(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_job_runs_list_newest_first_with_filters(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    ivan = personas["it_ivan"]
    old = JobRun.objects.create(job_id="test.echo", trigger="schedule", status="succeeded", output="ok")
    new = JobRun.objects.create(job_id="test.fail", trigger="manual", status="failed", error="boom", requested_by=ivan)
    client = _api(personas["officer_olga"])

    body = client.get(reverse("jobrun-list")).json()
    assert [r["id"] for r in body["results"]] == [new.pk, old.pk]
    assert body["results"][0]["requested_by"] == ivan.email
    assert body["results"][0]["error"] == "boom"
    assert body["results"][1]["requested_by"] is None

    failed = client.get(reverse("jobrun-list"), {"status": "failed"}).json()
    assert [r["id"] for r in failed["results"]] == [new.pk]
    echo = client.get(reverse("jobrun-list"), {"job_id": "test.echo"}).json()
    assert [r["id"] for r in echo["results"]] == [old.pk]


def test_a_bad_status_filter_is_a_400_naming_the_parameter(personas: Any) -> None:
    response = _api(personas["officer_olga"]).get(reverse("jobrun-list"), {"status": "exploded"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_one_job_run(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    run = JobRun.objects.create(job_id="test.echo", trigger="command", status="succeeded", output="hello")
    body = _api(personas["admin_alice"]).get(reverse("jobrun-detail", args=[run.pk])).json()
    assert (body["id"], body["output"], body["trigger"]) == (run.pk, "hello", "command")
    assert _api(personas["admin_alice"]).get(reverse("jobrun-detail", args=[run.pk + 1000])).status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_job_runs_list_costs_a_fixed_number_of_queries(
    jobs_under_test: JobsUnderTest, personas: Any, django_assert_num_queries: Any, rows: int
) -> None:
    JobRun.objects.bulk_create(
        [JobRun(job_id="test.echo", trigger="manual", requested_by=personas["it_ivan"]) for _ in range(rows)]
    )
    client = _api(personas["officer_olga"])
    # token with its user, its last-used stamp, permissions (own and roles', one query), count, one page of runs
    with django_assert_num_queries(5):
        response = client.get(reverse("jobrun-list"))
    assert len(response.json()["results"]) == rows


def test_jobs_list_and_detail(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    ensure_default_schedules()
    client = _api(personas["officer_olga"])

    jobs = {j["job_id"]: j for j in client.get(reverse("job-list")).json()}
    assert jobs["test.echo"]["interval_seconds"] == 60
    assert jobs["test.fail"]["cron"] == "0 4 * * *"
    assert jobs["test.echo"]["next_run_at"] is not None
    assert "access.expire_api_tokens" in jobs

    one = client.get(reverse("job-detail", args=["test.fail"])).json()
    assert one["description"] == "Always fails."
    assert client.get(reverse("job-detail", args=["no.such"])).status_code == 404


def test_run_now_through_the_api_queues_a_run(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    ivan = personas["it_ivan"]
    response = _api(ivan).post(reverse("job-run", args=["test.echo"]))

    assert response.status_code == 202
    run = JobRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.trigger, run.requested_by) == (JobRun.Status.QUEUED, JobRun.Trigger.MANUAL, ivan)
    assert jobs_under_test.calls == []

    again = _api(ivan).post(reverse("job-run", args=["test.echo"]))
    assert again.status_code == 400
    assert "already queued" in again.json()["detail"]


def test_run_now_is_refused_to_readers_and_for_unknown_jobs(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    assert _api(personas["officer_olga"]).post(reverse("job-run", args=["test.echo"])).status_code == 403
    assert _api(personas["it_ivan"]).post(reverse("job-run", args=["no.such"])).status_code == 404
    assert not JobRun.objects.exists()


def test_anonymous_and_roles_without_permission_are_refused(personas: Any) -> None:
    assert APIClient().get(reverse("jobrun-list")).status_code == 401
    assert _api(personas["employee_emil"]).get(reverse("jobrun-list")).status_code == 403
    assert _api(personas["auditor_aude"]).get(reverse("job-list")).status_code == 403
