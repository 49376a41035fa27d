"""Audience, acknowledgement rates, reminders by email, the daily job, evidence, the starter library, the seed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from access.models import Role, User
from core.errors import DomainError
from core.evidence import collect_evidence
from core.seeding import SeedContext
from policies.documents.library import LibraryFormatError, parse_library_file, read_library
from policies.jobs import policy_reminders as reminders_job
from policies.models import Policy, PolicyVersion
from policies.seed_documents import seed_demo_policies
from policies.selectors import documents as selectors
from policies.services import documents as services
from policies.services.policy_library import load_policy_library
from policies.services.policy_reminders import send_reminders
from tests.policies.documents_helpers import make_user, publish, published_policy, second_officer


@pytest.fixture
def otto(personas: Any) -> User:
    return second_officer()


def _listed(user: User, policy: Policy) -> Policy:
    return selectors.policies_visible_to(user).get(pk=policy.pk)


def test_audience_is_roles_and_chosen_people_active_only(officer_olga: User, otto: User, it_ivan: User) -> None:
    policy = published_policy(officer_olga, otto)
    emil2 = make_user("emma@example.test", Role.EMPLOYEE)
    gone = make_user("gone@example.test", Role.EMPLOYEE)
    gone.is_active = False
    gone.save()
    policy.audience_people.add(it_ivan, emil2)  # emma twice (role and name): counted once
    members = set(selectors.audience_members(policy.pk).values_list("email", flat=True))
    assert members == {"employee_emil@example.test", "emma@example.test", "it_ivan@example.test"}


def test_acknowledgement_rates_per_policy_and_version(officer_olga: User, otto: User, employee_emil: User) -> None:
    policy = published_policy(officer_olga, otto)
    emma = make_user("emma@example.test", Role.EMPLOYEE)
    make_user("eve@example.test", Role.EMPLOYEE)
    listed = _listed(officer_olga, policy)
    assert (listed.audience_count, listed.acknowledged_count) == (3, 0)
    v1 = policy.versions.get(number=1)
    services.acknowledge(actor=employee_emil, version=v1)
    services.acknowledge(actor=emma, version=v1)
    listed = _listed(officer_olga, policy)
    assert (listed.audience_count, listed.acknowledged_count) == (3, 2)
    assert selectors.rate(listed.acknowledged_count, listed.audience_count) == 66.7

    # A new version needs acknowledging afresh; the first keeps its own count.
    draft = services.start_new_draft(actor=officer_olga, policy=policy)
    services.edit_draft(actor=officer_olga, version=draft, body="# New text\n")
    publish(draft, officer_olga, otto)
    services.acknowledge(actor=emma, version=draft)
    listed = _listed(officer_olga, policy)
    assert (listed.audience_count, listed.acknowledged_count) == (3, 1)
    by_number = {v.number: (v.ack_count, v.ack_in_audience) for v in selectors.versions_with_rates(policy)}
    assert by_number == {1: (2, 2), 2: (1, 1)}


def test_what_each_person_must_read(officer_olga: User, otto: User, employee_emil: User, it_ivan: User) -> None:
    first = published_policy(officer_olga, otto, title="Acceptable use policy")
    published_policy(officer_olga, otto, title="Backup policy", roles=[Role.IT_ADMINISTRATOR])
    services.create_policy(actor=officer_olga, title="Draft only", body="x")  # a draft is nobody's to read
    assert [v.policy.title for v in selectors.to_acknowledge(employee_emil)] == ["Acceptable use policy"]
    assert [v.policy.title for v in selectors.to_acknowledge(it_ivan)] == ["Backup policy"]
    services.acknowledge(actor=employee_emil, version=first.versions.get())
    assert not selectors.to_acknowledge(employee_emil).exists()
    # Readers see only what is addressed to them and published; managers see everything.
    assert [p.title for p in selectors.policies_visible_to(employee_emil)] == ["Acceptable use policy"]
    assert selectors.policies_visible_to(officer_olga).count() == 3


def test_reminders_mail_only_those_who_have_not_acknowledged(
    officer_olga: User, otto: User, employee_emil: User
) -> None:
    policy = published_policy(officer_olga, otto)
    emma = make_user("emma@example.test", Role.EMPLOYEE)
    services.acknowledge(actor=emma, version=policy.versions.get())
    sent = send_reminders(actor=officer_olga, policy=policy)
    assert (sent.recipients, sent.policies) == (1, 1)
    assert [m.to for m in mail.outbox] == [["employee_emil@example.test"]]
    assert "Acceptable use policy (version 1)" in mail.outbox[0].body
    assert "/policies/to-read/" in mail.outbox[0].body
    policy.refresh_from_db()
    assert policy.last_reminded_at is not None


def test_employees_cannot_send_reminders(officer_olga: User, otto: User, employee_emil: User) -> None:
    policy = published_policy(officer_olga, otto)
    with pytest.raises(DomainError):
        send_reminders(actor=employee_emil, policy=policy)
    assert not mail.outbox


def test_the_daily_job_reminds_once_a_week_and_lists_overdue_reviews(
    officer_olga: User, otto: User, employee_emil: User
) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=UTC), tick=False):
        policy = published_policy(officer_olga, otto)
        Policy.objects.filter(pk=policy.pk).update(next_review_due=date(2026, 11, 30))
        output = reminders_job(None)
        assert "Reminded 1 person about 1 policy." in output
        assert "1 policy review(s) overdue: Acceptable use policy (due 2026-11-30)." in output
        assert len(mail.outbox) == 1
    with time_machine.travel(datetime(2026, 12, 4, 9, tzinfo=UTC), tick=False):
        assert "No reminder due" in reminders_job(None)
        assert len(mail.outbox) == 1
    with time_machine.travel(datetime(2026, 12, 9, 9, tzinfo=UTC), tick=False):
        assert "Reminded 1 person" in reminders_job(None)
        assert len(mail.outbox) == 2
    with time_machine.travel(datetime(2026, 12, 17, 9, tzinfo=UTC), tick=False):
        services.acknowledge(actor=employee_emil, version=policy.versions.get())
        reminders_job(None)
        assert len(mail.outbox) == 2


def test_acknowledgements_are_evidence(officer_olga: User, otto: User, employee_emil: User) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False):
        policy = published_policy(officer_olga, otto)
    with time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=UTC), tick=False):
        services.acknowledge(actor=employee_emil, version=policy.versions.get())
    provided = {p.provider: p for p in collect_evidence(date(2026, 3, 1), date(2026, 3, 31))}
    items = provided["policies.acknowledgements"].items
    assert len(items) == 1
    item = items[0]
    assert item["title"] == "Acceptable use policy version 1: acknowledged by 1 of 1"
    assert item["status"] == "pass"
    detail = item["detail"]
    assert (detail["author"], detail["approver"]) == ("officer_olga@example.test", "officer_otto@example.test")
    assert detail["acknowledgements"] == [
        {
            "email": "employee_emil@example.test",
            "name": employee_emil.full_name,
            "acknowledged_at": "2026-03-05T10:00:00+00:00",
        }
    ]
    before = {p.provider: p for p in collect_evidence(date(2026, 1, 1), date(2026, 2, 28))}
    assert before["policies.acknowledgements"].items == []


def test_the_library_has_four_policies_in_its_format() -> None:
    entries = read_library()
    assert sorted(e.key for e in entries) == ["acceptable-use", "access-control", "backup", "patch-management"]
    for entry in entries:
        assert entry.title and entry.body.startswith("# ") and entry.audience


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter\n", "must start with a '---'"),
        ("---\nkey: x\ntitle: X\n", "no closing '---'"),
        ("---\ntitle: X\n---\nbody\n", "'key' is required"),
        ("---\nkey: x\ntitle: X\nreview_cycle_months: 0\n---\nbody\n", "'review_cycle_months'"),
        ("---\nkey: x\ntitle: X\naudience: Employee\n---\nbody\n", "'audience' must be a list"),
        ("---\nkey: x\ntitle: X\n---\n\n", "no text"),
    ],
)
def test_a_malformed_library_file_names_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(LibraryFormatError, match=message):
        parse_library_file(text, source="bad.md")


def test_loading_the_library_twice_creates_nothing_more(officer_olga: User) -> None:
    report = load_policy_library(actor=officer_olga)
    assert len(report.created) == 4
    assert all(p.versions.get().status == PolicyVersion.Status.DRAFT for p in report.created)
    access = Policy.objects.get(library_key="access-control")
    assert set(access.audience_roles.values_list("name", flat=True)) == {
        "Employee",
        "IT administrator",
        "Control owner",
    }
    again = load_policy_library(actor=officer_olga)
    assert again.created == [] and len(again.skipped) == 4
    assert Policy.objects.count() == 4


def test_load_policy_library_command(db: Any, tmp_path: Path) -> None:
    out = StringIO()
    call_command("load_policy_library", stdout=out)
    assert "Loaded 4 policies from the library as drafts." in out.getvalue()
    assert PolicyVersion.objects.filter(author__isnull=True).count() == 4
    (tmp_path / "bad.md").write_text("no front matter\n")
    with pytest.raises(CommandError, match=r"bad\.md"):
        call_command("load_policy_library", "--dir", str(tmp_path))


def test_seed_publishes_policies_for_employees(personas: Any) -> None:
    ctx = SeedContext(write=lambda _: None, shared={"personas": personas.users})
    seed_demo_policies(ctx)
    seed_demo_policies(ctx)  # idempotent
    assert Policy.objects.count() == 4
    pending = [v.policy.title for v in selectors.to_acknowledge(personas["employee_emil"])]
    assert "Acceptable use policy" in pending and "Access control policy" in pending
    assert Policy.objects.filter(next_review_due__lt=timezone.localdate()).exists()
