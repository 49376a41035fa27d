"""Pages of the scheduler: run history, one run with live status, jobs, run now, schedule edits."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jobs.models import JobRun, JobSchedule
from jobs.services import ensure_default_schedules
from tests.jobs.conftest import JobsUnderTest

pytestmark = pytest.mark.django_db


def _runs(count: int, job_id: str = "test.echo", **extra: Any) -> list[JobRun]:
    values = {"trigger": JobRun.Trigger.SCHEDULE, "status": JobRun.Status.SUCCEEDED, **extra}
    return JobRun.objects.bulk_create([JobRun(job_id=job_id, **values) for _ in range(count)])


def test_run_list_shows_runs_newest_first_and_filters(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    older = _runs(1, "test.echo")[0]
    newer = _runs(1, "test.fail", status=JobRun.Status.FAILED)[0]
    client = personas.client("officer_olga")

    page = client.get(reverse("jobs:job_runs")).content.decode()
    assert page.index(f"#{newer.pk}<") < page.index(f"#{older.pk}<")

    failed = client.get(reverse("jobs:job_runs"), {"status": "failed"}).content.decode()
    assert f"#{newer.pk}<" in failed and f"#{older.pk}<" not in failed
    echo = client.get(reverse("jobs:job_runs"), {"job": "test.echo"}).content.decode()
    assert f"#{older.pk}<" in echo and f"#{newer.pk}<" not in echo


def test_run_list_paginates_and_keeps_filters(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    _runs(51)
    response = personas.client("officer_olga").get(reverse("jobs:job_runs"), {"job": "test.echo"})
    assert response.context["page"].paginator.num_pages == 2
    assert "job=test.echo&amp;page=2" in response.content.decode()


def test_empty_run_list_tells_what_to_do(personas: Any) -> None:
    page = personas.client("officer_olga").get(reverse("jobs:job_runs")).content.decode()
    assert "No job has run yet" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_run_list_costs_a_fixed_number_of_queries(
    jobs_under_test: JobsUnderTest, personas: Any, django_assert_num_queries: Any, rows: int
) -> None:
    requester = personas["it_ivan"]
    _runs(rows, trigger=JobRun.Trigger.MANUAL, requested_by=requester)
    client = personas.client("officer_olga")
    url = reverse("jobs:job_runs")
    client.get(url)  # warm the session
    # session, user, groups, permissions (own and roles', one query), count, one page of runs with requesters
    # (the navigation asks nothing more: the second-step check reads only the path and session)
    with django_assert_num_queries(6):
        response = client.get(url)
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_job_list_costs_a_fixed_number_of_queries(
    jobs_under_test: JobsUnderTest, personas: Any, django_assert_num_queries: Any, rows: int
) -> None:
    ensure_default_schedules()
    for job_id in ("test.echo", "test.fail", "test.audited"):
        _runs(rows, job_id)
    client = personas.client("it_ivan")
    client.get(reverse("jobs:job_list"))
    # session, user, MFA device, groups, permissions (one query), schedules, last runs, last scheduled runs
    with django_assert_num_queries(8):
        client.get(reverse("jobs:job_list"))


def test_run_detail_shows_output_and_error(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    run = _runs(1, "test.fail", status=JobRun.Status.FAILED, output="half done", error="Traceback: boom")[0]
    page = personas.client("officer_olga").get(reverse("jobs:job_run_detail", args=[run.pk])).content.decode()
    assert "half done" in page
    assert "Traceback: boom" in page
    assert "hx-get" not in page, "a finished run is not polled"


def test_a_queued_run_is_polled_until_it_finishes(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    run = _runs(1, status=JobRun.Status.QUEUED, trigger=JobRun.Trigger.MANUAL)[0]
    client = personas.client("officer_olga")
    status_url = reverse("jobs:job_run_status", args=[run.pk])

    page = client.get(reverse("jobs:job_run_detail", args=[run.pk])).content.decode()
    assert f'hx-get="{status_url}"' in page

    partial = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "Queued" in partial and "hx-trigger" in partial

    JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.SUCCEEDED, output="all done")
    partial = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "all done" in partial and "hx-trigger" not in partial


def test_an_unknown_run_is_a_404(personas: Any) -> None:
    assert personas.client("officer_olga").get(reverse("jobs:job_run_detail", args=[999999])).status_code == 404


def test_job_list_shows_schedules_and_actions_by_permission(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    ensure_default_schedules()
    run_now = reverse("jobs:job_run_now", args=["test.echo"])
    edit = reverse("jobs:job_schedule_edit", args=["test.echo"])

    ivan = personas.client("it_ivan").get(reverse("jobs:job_list")).content.decode()
    assert "Every minute" in ivan and "Every day at 04:00" in ivan and "cron <code>0 4 * * *</code>" in ivan
    assert run_now in ivan and edit in ivan

    olga = personas.client("officer_olga").get(reverse("jobs:job_list")).content.decode()
    assert "test.echo" in olga
    assert run_now not in olga and edit not in olga


def test_run_now_queues_a_run_for_the_requester(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    response = personas.client("it_ivan").post(reverse("jobs:job_run_now", args=["test.echo"]))

    run = JobRun.objects.get(job_id="test.echo")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job_run_detail", args=[run.pk])
    assert (run.status, run.trigger, run.requested_by) == (
        JobRun.Status.QUEUED,
        JobRun.Trigger.MANUAL,
        personas["it_ivan"],
    )
    assert jobs_under_test.calls == [], "the request only queues; the scheduler runs it"


def test_run_now_twice_says_it_is_already_queued(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    client = personas.client("it_ivan")
    client.post(reverse("jobs:job_run_now", args=["test.echo"]))
    response = client.post(reverse("jobs:job_run_now", args=["test.echo"]), follow=True)
    assert "already queued" in response.content.decode()
    assert JobRun.objects.filter(job_id="test.echo").count() == 1


def test_run_now_of_an_unknown_job_is_a_404(personas: Any) -> None:
    response = personas.client("it_ivan").post(reverse("jobs:job_run_now", args=["no.such.job"]))
    assert response.status_code == 404
    assert not JobRun.objects.exists()


def test_run_now_needs_post(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    assert personas.client("it_ivan").get(reverse("jobs:job_run_now", args=["test.echo"])).status_code == 405


def test_schedule_edit_with_a_bad_cron_shows_the_error_on_the_field(
    jobs_under_test: JobsUnderTest, personas: Any
) -> None:
    ensure_default_schedules()
    url = reverse("jobs:job_schedule_edit", args=["test.echo"])

    response = personas.client("it_ivan").post(url, {"cron": "61 * * * *", "interval_seconds": "", "enabled": "on"})

    assert response.status_code == 200
    assert "Cron expression &#x27;61 * * * *&#x27; is not valid" in response.content.decode()
    assert response.context["form"].errors["cron"]
    assert 'id="id_cron_error"' in response.content.decode()
    echo = JobSchedule.objects.get(job_id="test.echo")
    assert (echo.cron, echo.interval_seconds) == ("", 60), "nothing is saved"


def test_schedule_edit_saves_a_good_schedule(jobs_under_test: JobsUnderTest, personas: Any) -> None:
    url = reverse("jobs:job_schedule_edit", args=["test.echo"])
    client = personas.client("it_ivan")
    assert 'value="60"' in client.get(url).content.decode(), "the form starts from the job's default"

    response = client.post(url, {"cron": " 15  3 * * 1-5 ", "interval_seconds": ""})

    assert response.status_code == 302
    echo = JobSchedule.objects.get(job_id="test.echo")
    assert (echo.cron, echo.interval_seconds, echo.enabled) == ("15 3 * * 1-5", None, False)
