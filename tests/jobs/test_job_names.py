"""The jobs pages speak in names and words: "Clear sessions, every day at 03:40", not ids and cron lines.

And the empty run history says what to do only when there is something to do: it asks
for ``runscheduler`` when no scheduler runs, not when one does.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from core.jobs_registry import job_label
from jobs.cron import describe_cron, describe_interval
from jobs.leases import beat
from jobs.models import JobRun


@pytest.mark.parametrize(
    ("cron", "words"),
    [
        ("40 3 * * *", "every day at 03:40"),
        ("7 * * * *", "every hour at 07 minutes past"),
        ("*/15 * * * *", "every 15 minutes"),
        ("45 3 * * 0", "every Sunday at 03:45"),
        ("30 2 * * 1-5", "Monday to Friday at 02:30"),
        ("0 9 1 * *", "on day 1 of every month at 09:00"),
        ("* * * * *", "every minute"),
        ("0 9 1 1 *", "cron 0 9 1 1 *"),  # anything unusual stays a cron line
    ],
)
def test_cron_in_words(cron: str, words: str) -> None:
    assert describe_cron(cron) == words


def test_intervals_in_words() -> None:
    assert [describe_interval(s) for s in (3600, 900, 45, 86400)] == [
        "every hour",
        "every 15 minutes",
        "every 45 seconds",
        "every day",
    ]


def test_job_ids_read_as_names() -> None:
    assert job_label("access.expire_api_tokens") == "Expire API tokens"
    assert job_label("access.clear_sessions") == "Clear sessions"


def test_the_jobs_page_shows_names_and_schedules_in_words(personas: Any) -> None:
    html = personas.client("it_ivan").get(reverse("jobs:job_list")).content.decode()
    assert "Clear sessions" in html
    assert "Every day at 03:40" in html
    assert "cron 40 3 * * *" not in html  # the cron line is only a detail in brackets


def test_the_run_history_names_jobs(personas: Any) -> None:
    JobRun.objects.create(job_id="access.clear_sessions", trigger="manual", status="succeeded")
    html = personas.client("it_ivan").get(reverse("jobs:job_runs")).content.decode()
    assert "<td>Clear sessions</td>" in html
    assert "<code>access.clear_sessions</code>" not in html


def test_the_empty_history_asks_for_the_scheduler_only_when_none_runs(personas: Any) -> None:
    client = personas.client("it_ivan")
    assert "no scheduler is running" in client.get(reverse("jobs:job_runs")).content.decode()
    beat()  # a scheduler polled just now
    html = client.get(reverse("jobs:job_runs")).content.decode()
    assert "The scheduler is running" in html
    assert "no scheduler is running" not in html
