"""Policy pages and API: forms and their errors, the workflow buttons, acknowledging, diffs, CSV, home and
dashboard panels, and query counts of the lists (the same with 1 and 50 policies)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import Role, User
from audits.models import LogEntry
from core.jobs_registry import scheduled_jobs
from policies.models import Policy, PolicyAcknowledgement, PolicyVersion
from policies.services import documents as services
from tests.api.conftest import post_json, token_client
from tests.conftest import login
from tests.policies.documents_helpers import BODY, draft_policy, publish, published_policy, second_officer

LIST = reverse("policies:policy_list")
API = "/api/v1/policies/"


@pytest.fixture
def otto(personas: Any) -> User:
    return second_officer()


def test_an_officer_creates_a_policy_from_the_form(personas: Any) -> None:
    client = personas.client("officer_olga")
    employees = Group.objects.get(name=Role.EMPLOYEE)
    response = client.post(
        reverse("policies:policy_create"),
        {
            "title": "Clean desk policy",
            "summary": "Papers away at night.",
            "review_cycle_months": "12",
            "audience_roles": [employees.pk],
            "body": "# Clean desk\n\nNo papers left out.",
            "change_note": "First version",
        },
    )
    policy = Policy.objects.get(title="Clean desk policy")
    assert response.status_code == 302 and response.url == reverse("policies:policy_detail", args=[policy.pk])
    assert policy.versions.get().status == PolicyVersion.Status.DRAFT


def test_bad_input_names_the_field_and_is_not_a_500(personas: Any) -> None:
    client = personas.client("officer_olga")
    response = client.post(reverse("policies:policy_create"), {"title": "", "review_cycle_months": "99", "body": " "})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"title", "review_cycle_months", "body"} <= set(errors)
    draft_policy(personas["officer_olga"])
    response = client.post(
        reverse("policies:policy_create"),
        {"title": "acceptable use policy", "review_cycle_months": "12", "body": "text"},
    )
    assert response.status_code == 400
    assert "exists already" in str(response.context["form"].errors["title"])


def test_the_author_is_refused_approval_on_the_page_and_another_officer_approves(personas: Any, otto: User) -> None:
    olga = personas.client("officer_olga")
    version = draft_policy(personas["officer_olga"]).versions.get()
    args = [version.policy_id, 1]
    assert olga.post(reverse("policies:version_submit", args=args)).status_code == 302
    page = olga.get(reverse("policies:version_detail", args=args))
    assert b"another Compliance officer approves it" in page.content
    response = olga.post(reverse("policies:version_approve", args=args), follow=True)
    assert b"you cannot approve it" in response.content
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.IN_REVIEW
    other = login(type(olga)(), otto)
    other.post(reverse("policies:version_approve", args=args))
    other.post(reverse("policies:version_publish", args=args))
    version.refresh_from_db()
    assert (version.status, version.approver) == (PolicyVersion.Status.PUBLISHED, otto)


def test_an_employee_reads_and_acknowledges_on_the_page(personas: Any, otto: User) -> None:
    policy = published_policy(personas["officer_olga"], otto)
    emil = personas.client("employee_emil")
    home = emil.get("/")
    assert b"Policies to read" in home.content and b"Acceptable use policy" in home.content
    page = emil.get(reverse("policies:policy_detail", args=[policy.pk]))
    assert b"Lock your screen." in page.content and b"I have read and will follow this policy" in page.content
    assert b"Versions" not in page.content  # readers see the text, not the workflow
    response = emil.post(reverse("policies:acknowledge", args=[policy.pk, 1]))
    assert response.status_code == 302 and response.url == reverse("policies:to_read")
    assert PolicyAcknowledgement.objects.filter(user=personas["employee_emil"]).count() == 1
    home = emil.get("/")
    assert b"Nothing to acknowledge" in home.content


def test_readers_never_reach_drafts_or_policies_not_addressed_to_them(personas: Any, otto: User) -> None:
    olga = personas["officer_olga"]
    draft = draft_policy(olga, title="Draft policy")
    other = published_policy(olga, otto, title="IT only", roles=[Role.IT_ADMINISTRATOR])
    emil = personas.client("employee_emil")
    assert emil.get(reverse("policies:policy_detail", args=[draft.pk])).status_code == 404
    assert emil.get(reverse("policies:policy_detail", args=[other.pk])).status_code == 404
    assert emil.post(reverse("policies:acknowledge", args=[other.pk, 1])).status_code == 404
    assert not PolicyAcknowledgement.objects.exists()


def test_the_diff_page_shows_insertions_and_deletions(personas: Any, otto: User) -> None:
    olga = personas["officer_olga"]
    policy = published_policy(olga, otto)
    draft = services.start_new_draft(actor=olga, policy=policy)
    services.edit_draft(actor=olga, version=draft, body=BODY.replace("at once", "within the hour"))
    page = personas.client("officer_olga").get(reverse("policies:version_diff", args=[policy.pk, 2]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<del>Report lost laptops at once.</del>" in html
    assert "<ins>Report lost laptops within the hour.</ins>" in html
    assert 'class="diff-changed"' in html and "style=" not in html
    bad = personas.client("officer_olga").get(reverse("policies:version_diff", args=[policy.pk, 2]) + "?against=x")
    assert bad.status_code == 302


def test_policy_text_is_sanitised_in_the_page(personas: Any, otto: User) -> None:
    policy = published_policy(
        personas["officer_olga"], otto, body="# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n"
    )
    html = personas.client("employee_emil").get(reverse("policies:policy_detail", args=[policy.pk])).content
    assert b"<script>alert(1)</script>" not in html
    assert b'href="javascript:' not in html


def test_rates_on_the_list_the_csv_and_the_dashboard(personas: Any, otto: User) -> None:
    policy = published_policy(personas["officer_olga"], otto)
    policy.refresh_from_db()
    assert policy.next_review_due is not None
    services.acknowledge(actor=personas["employee_emil"], version=policy.versions.get())
    User.objects.create(email="emma@example.test").groups.add(Group.objects.get(name=Role.EMPLOYEE))
    client = personas.client("officer_olga")
    page = client.get(LIST)
    assert b"1 of 2 (50.0%)" in page.content
    rows = list(
        csv.DictReader(io.StringIO(b"".join(client.get(reverse("policies:policy_export")).streaming_content).decode()))
    )
    assert rows[0]["Acknowledged (%)"] == "50.0" and rows[0]["Next review due"] == policy.next_review_due.isoformat()
    Policy.objects.filter(pk=policy.pk).update(next_review_due="2020-01-01")
    dashboard = client.get(reverse("governance:dashboard"))
    assert b'data-testid="dashboard-policies"' in dashboard.content
    assert b"1 overdue review" in dashboard.content and b"1 Jan 2020" in dashboard.content
    assert b"1 of 2 (50.0%)" in dashboard.content
    overdue = client.get(LIST, {"review": "overdue"})
    assert overdue.context["listing"].page.paginator.count == 1
    bad = client.get(LIST, {"review": "sometime"})
    assert "review" in bad.context["listing"].errors


def test_navigation_has_policies_for_readers_but_not_auditors(personas: Any) -> None:
    assert b'href="/policies/"' in personas.client("employee_emil").get("/").content
    assert b'href="/policies/"' not in personas.client("auditor_aude").get("/").content


def test_reminders_button(personas: Any, otto: User) -> None:
    policy = published_policy(personas["officer_olga"], otto)
    response = personas.client("officer_olga").post(reverse("policies:policy_remind", args=[policy.pk]), follow=True)
    assert b"Reminded 1 person about 1 policy." in response.content
    assert [m.to for m in mail.outbox] == [["employee_emil@example.test"]]


def test_api_lists_and_acknowledges(personas: Any, otto: User) -> None:
    policy = published_policy(personas["officer_olga"], otto)
    draft_policy(personas["officer_olga"], title="Not yet")
    emil, _ = token_client(personas["employee_emil"])
    listed = emil.get(API).json()
    assert [p["title"] for p in listed["results"]] == ["Acceptable use policy"]
    assert listed["results"][0]["acknowledged_by_me"] is False
    versions = emil.get(f"{API}{policy.pk}/versions/").json()
    assert [(v["number"], v["status"]) for v in versions] == [(1, "published")]
    assert "<h1>Acceptable use</h1>" in versions[0]["html"]
    first = post_json(emil, f"{API}{policy.pk}/acknowledge/", {})
    assert first.status_code == 201 and first.json()["version"] == 1
    assert post_json(emil, f"{API}{policy.pk}/acknowledge/", {}).status_code == 200
    assert emil.get(f"{API}{policy.pk}/").json()["acknowledged_by_me"] is True
    wrong = post_json(emil, f"{API}{policy.pk}/acknowledge/", {"version": 7})
    assert wrong.status_code == 400 and "version" in wrong.json()
    olga, _ = token_client(personas["officer_olga"])
    managed = {p["title"]: p for p in olga.get(API).json()["results"]}
    assert managed["Acceptable use policy"]["acknowledged_percent"] == 100.0
    assert managed["Not yet"]["published_version"] is None
    assert olga.get(API, {"state": "bogus"}).status_code == 400


def _policies(count: int, author: User, approver: User, prefix: str) -> None:
    for n in range(count):
        policy = draft_policy(author, title=f"{prefix} policy {n:03}")
        publish(policy.versions.get(), author, approver)


@pytest.mark.parametrize("persona", ["officer_olga", "employee_emil"])
@pytest.mark.parametrize("url", [LIST, API])
def test_lists_cost_the_same_queries_with_one_row_and_with_fifty(
    personas: Any, otto: User, django_assert_num_queries: Callable[..., Any], url: str, persona: str
) -> None:
    client = token_client(personas[persona])[0] if url == API else personas.client(persona)
    _policies(1, personas["officer_olga"], otto, "one")
    client.get(url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _policies(49, personas["officer_olga"], otto, "many")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
        assert response.status_code == 200
    count = response.json()["count"] if url == API else response.context["listing"].page.paginator.count
    assert count == 50


def test_editing_the_audience_changes_who_must_read(personas: Any, otto: User) -> None:
    policy = published_policy(personas["officer_olga"], otto)
    client = personas.client("officer_olga")
    it_admins = Group.objects.get(name=Role.IT_ADMINISTRATOR)
    response = client.post(
        reverse("policies:policy_edit", args=[policy.pk]),
        {"title": policy.title, "review_cycle_months": "6", "audience_roles": [it_admins.pk]},
    )
    assert response.status_code == 302
    listed = client.get(LIST).context["listing"].rows[0]
    assert (listed.audience_count, listed.review_cycle_months) == (1, 6)
    assert personas.client("employee_emil").get(reverse("policies:policy_detail", args=[policy.pk])).status_code == 404
    bad = client.post(reverse("policies:policy_edit", args=[policy.pk]), {"title": "", "review_cycle_months": "x"})
    assert bad.status_code == 400 and {"title", "review_cycle_months"} <= set(bad.context["form"].errors)


def test_policies_to_read_costs_the_same_queries_with_one_and_with_fifty(
    personas: Any, otto: User, django_assert_num_queries: Callable[..., Any]
) -> None:
    client = personas.client("employee_emil")
    url = reverse("policies:to_read")
    _policies(1, personas["officer_olga"], otto, "one")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _policies(49, personas["officer_olga"], otto, "many")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.count(b"Read and acknowledge") == 50


def test_the_daily_reminder_job_is_registered() -> None:
    job = scheduled_jobs()["policies.policy_reminders"]
    assert job.cron == "15 7 * * *"


def test_the_audit_trail_names_who_acknowledged_and_who_approved(personas: Any, otto: User) -> None:
    version = draft_policy(personas["officer_olga"]).versions.get()
    services.submit_for_review(actor=personas["officer_olga"], version=version)
    login(type(personas.client("officer_olga"))(), otto).post(
        reverse("policies:version_approve", args=[version.policy_id, 1])
    )
    approval = LogEntry.objects.get_for_object(version).order_by("-pk").first()
    assert approval is not None and approval.actor == otto
    emil, _ = token_client(personas["employee_emil"])
    assert post_json(emil, f"{API}{version.policy_id}/acknowledge/", {}).status_code == 404  # not published yet
    services.publish_version(actor=otto, version=version)
    assert post_json(emil, f"{API}{version.policy_id}/acknowledge/", {}).status_code == 201
    ack = PolicyAcknowledgement.objects.get()
    entry = LogEntry.objects.get_for_object(ack).get()
    assert entry.actor == personas["employee_emil"]
