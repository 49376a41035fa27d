"""The backups pages: plans with their last and next run, the plan form's checks, "Run now" with
progress, a set and its verification, recipients for Administrators, and fixed query counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from backups.age import X25519Identity
from backups.models import BackupPlan, BackupRecipient, BackupSet, RestoreDrill
from jobs import scheduler
from tests.backups.conftest import Backups


def _page(personas: Any, persona: str, url: str) -> str:
    response = personas.client(persona).get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_overview_costs_the_same_queries_for_one_plan_or_many(personas: Any, backups_env: Backups) -> None:
    client = personas.client("it_ivan")
    BackupPlan.objects.create(name="Plan 0")
    client.get(reverse("backups:overview"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("backups:overview"))
    for index in range(1, 6):
        plan = BackupPlan.objects.create(name=f"Plan {index}")
        made = BackupSet.objects.create(set_id=f"20261201T02300{index}Z-aaaaa{index}", plan=plan, trigger="schedule")
        RestoreDrill.objects.create(backup_set=made, set_id=made.set_id, result=RestoreDrill.Result.PASSED)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("backups:overview"))
    assert response.status_code == 200
    assert len(many.captured_queries) == len(one.captured_queries)


@pytest.mark.django_db
def test_the_plan_form_names_what_is_wrong(personas: Any, backups_env: Backups) -> None:
    client = personas.client("it_ivan")
    body = {"name": "Nightly", "what": "both", "cron": "61 2 * * *", "destination": "nowhere", "keep_daily": 7}
    body |= {"keep_weekly": 4, "keep_monthly": 6, "active": "on"}
    response = client.post(reverse("backups:plan_create"), body)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Cron expression &#x27;61 2 * * *&#x27; is not valid" in html
    assert "Unknown destination &#x27;nowhere&#x27;" in html
    response = client.post(reverse("backups:plan_create"), {**body, "cron": "30 2 * * *", "destination": "evidence"})
    assert "Backups cannot go to the storage &#x27;evidence&#x27;: it holds stored files" in response.content.decode()
    assert not BackupPlan.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_run_now_goes_to_the_progress_page_and_the_set_shows_its_verification(
    personas: Any, backups_env: Backups, recipient: BackupRecipient
) -> None:
    backups_env.stored_file("a.txt", b"a")
    plan = BackupPlan.objects.create(name="Nightly", what=BackupPlan.What.FILES)
    client = personas.client("it_ivan")
    response = client.post(reverse("backups:plan_run", kwargs={"pk": plan.pk}))
    assert response.status_code == 302
    assert re.fullmatch(r"/jobs/runs/\d+/progress/", response["Location"])
    scheduler.run_once()
    html = client.get(response["Location"]).content.decode()
    made = BackupSet.objects.get(plan=plan)
    assert 'data-testid="backup-result"' in html and f"Open set {made.set_id}" in html
    detail = client.get(reverse("backups:set_detail", kwargs={"set_id": made.set_id})).content.decode()
    assert "files.tar.zst.age" in detail and made.files[0]["ciphertext_sha256"] in detail
    assert ">OK</span>" in detail and "sizes, hashes and signature" in detail
    overview = client.get(reverse("backups:overview")).content.decode()
    assert "Verified" in overview and f"/backups/sets/{made.set_id}/" in overview


@pytest.mark.django_db
def test_officers_see_plans_but_no_buttons(personas: Any, backups_env: Backups) -> None:
    BackupPlan.objects.create(name="Nightly")
    html = _page(personas, "officer_olga", reverse("backups:overview"))
    assert "Nightly" in html and "Run now" not in html and "New plan" not in html
    ivan = _page(personas, "it_ivan", reverse("backups:overview"))
    assert "Run now" in ivan and "New plan" in ivan
    assert 'href="/backups/"' in ivan
    assert 'href="/backups/"' not in _page(personas, "employee_emil", reverse("home"))


@pytest.mark.django_db
def test_recipients_take_only_a_public_key(personas: Any) -> None:
    client = personas.client("admin_alice")
    identity = X25519Identity.generate()
    response = client.post(reverse("backups:recipient_add"), {"name": "Safe", "public_key": identity.secret_string()})
    assert response.status_code == 400
    assert "This is not an age public key" in response.content.decode()
    assert not BackupRecipient.objects.exists()
    response = client.post(reverse("backups:recipient_add"), {"name": "Safe", "public_key": str(identity.recipient)})
    assert response.status_code == 302
    assert BackupRecipient.objects.get().public_key == str(identity.recipient)
    html = _page(personas, "it_ivan", reverse("backups:recipient_list"))
    assert str(identity.recipient) in html and "Remove" not in html and "Add a recipient" not in html


@pytest.mark.django_db
def test_a_bad_filter_on_the_set_list_is_shown(personas: Any) -> None:
    html = _page(personas, "it_ivan", reverse("backups:set_list") + "?status=lost")
    assert 'data-testid="filter-errors"' in html and "lost" in html


@pytest.mark.django_db
def test_the_compliance_dashboard_shows_a_failed_backup_and_the_last_drill(personas: Any) -> None:
    failed = BackupSet.objects.create(
        set_id="20261201T023000Z-bad000", plan_name="Nightly", trigger="schedule", status=BackupSet.Status.FAILED
    )
    RestoreDrill.objects.create(set_id="20261130T023000Z-good00", result=RestoreDrill.Result.PASSED, summary="ok")
    html = _page(personas, "it_ivan", reverse("governance:dashboard"))
    assert 'data-testid="dashboard-backups"' in html
    assert f"/backups/sets/{failed.set_id}/" in html and "Passed" in html
    assert 'data-testid="dashboard-backups"' in _page(personas, "officer_olga", reverse("governance:dashboard"))


@pytest.mark.django_db
def test_the_set_list_filters_by_plan_chosen_by_name(personas: Any) -> None:
    nightly, weekly = BackupPlan.objects.create(name="Nightly"), BackupPlan.objects.create(name="Weekly offsite")
    BackupSet.objects.create(set_id="20261201T023000Z-night1", plan=nightly, plan_name="Nightly", trigger="schedule")
    BackupSet.objects.create(
        set_id="20261201T033000Z-week01", plan=weekly, plan_name="Weekly offsite", trigger="schedule"
    )
    url = reverse("backups:set_list")

    html = _page(personas, "it_ivan", url)
    assert f'<option value="{weekly.pk}">Weekly offsite</option>' in html and "Plan (id)" not in html
    only = _page(personas, "it_ivan", f"{url}?plan={weekly.pk}")
    assert "20261201T033000Z-week01" in only and "20261201T023000Z-night1" not in only
    unknown = _page(personas, "it_ivan", f"{url}?plan=999999")
    assert 'data-testid="filter-errors"' in unknown
