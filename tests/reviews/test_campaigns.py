"""Review campaigns: reviewers never review themselves, revocations become removal tasks, evidence is signed."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta

import pytest
import time_machine
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core import mail
from django.utils import timezone

from access.models import Role
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from core.evidence import collect_evidence
from core.signing import known_public_keys
from governance.models import Asset
from reviews.evidence import completed_campaigns
from reviews.models import RemovalTask, ReviewCampaign, ReviewItem
from reviews.services.campaigns import (
    CampaignScope,
    complete_review_campaign,
    decide_review_item,
    remind_and_escalate,
    start_recurring,
    start_review_campaign,
)
from tests.reviews.conftest import snapshot


def _scope(systems, *, reviewer=None, rampart=False, entitlements=(), days=7, recur=None):
    return CampaignScope(
        name="Q4 review",
        systems=tuple(systems),
        include_rampart=rampart,
        entitlements=tuple(entitlements),
        reviewer=reviewer,
        due_on=timezone.localdate() + timedelta(days=days),
        recur_days=recur,
    )


@pytest.fixture
def payments(personas):
    snap = snapshot(
        "Payments",
        [
            ("ivan", "it_ivan@example.test", ["approve payment"], None, "active"),
            ("emil", "employee_emil@example.test", ["create payment"], None, "active"),
            ("ghost", "ghost@nowhere.test", ["read"], None, "active"),
        ],
    )
    asset = snap.asset
    asset.owner = personas["it_ivan"]
    asset.save()
    return asset


def test_the_system_owner_reviews_except_their_own_account(personas, payments):
    campaign = start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments]))
    reviewers = dict(campaign.items.values_list("account_name", "reviewer__email"))
    assert reviewers == {
        "emil": "it_ivan@example.test",
        "ghost": "it_ivan@example.test",
        "ivan": "admin_alice@example.test",  # the owner may not review himself: the starter does
    }


def test_a_named_reviewer_never_reviews_themself(personas, payments):
    campaign = start_review_campaign(
        actor=personas["it_ivan"], scope=_scope([payments], reviewer=personas["employee_emil"])
    )
    emil_line = campaign.items.get(account_name="emil")
    assert emil_line.reviewer == personas["it_ivan"]  # the owner takes Emil's own line
    assert campaign.items.filter(reviewer=personas["employee_emil"]).count() == 2


def test_a_reviewer_cannot_decide_their_own_line_even_if_assigned(personas, payments):
    campaign = start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments]))
    line = campaign.items.get(account_name="ivan")
    ReviewItem.objects.filter(pk=line.pk).update(reviewer=personas["it_ivan"])  # forced, as if by a bad edit
    with pytest.raises(SegregationOfDutiesError):
        decide_review_item(actor=personas["it_ivan"], item=line, decision="certified")
    line.refresh_from_db()
    assert line.decision == ReviewItem.Decision.PENDING


def test_only_the_assigned_reviewer_decides(personas, payments):
    campaign = start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments]))
    line = campaign.items.get(account_name="ghost")
    with pytest.raises(PermissionDeniedError):
        decide_review_item(actor=personas["admin_alice"], item=line, decision="certified")


def test_scope_by_entitlement(personas, payments):
    campaign = start_review_campaign(
        actor=personas["admin_alice"], scope=_scope([payments], entitlements=["create payment"])
    )
    assert list(campaign.items.values_list("account_name", flat=True)) == ["emil"]


def test_revocation_is_a_removal_task_closed_by_the_next_import(personas, payments):
    campaign = start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments]))
    line = campaign.items.get(account_name="ghost")
    with pytest.raises(DomainError, match="comment"):
        decide_review_item(actor=personas["it_ivan"], item=line, decision="revoked")
    decide_review_item(actor=personas["it_ivan"], item=line, decision="revoked", comment="Nobody knows them")
    task = RemovalTask.objects.get()
    assert task.status == RemovalTask.Status.OPEN and task.account_name == "ghost"
    snapshot("Payments", [("ghost", "ghost@nowhere.test", ["read"], None, "active")])
    task.refresh_from_db()
    assert task.status == RemovalTask.Status.OPEN  # still there
    snapshot("Payments", [("emil", "employee_emil@example.test", ["create payment"], None, "active")])
    task.refresh_from_db()
    assert task.status == RemovalTask.Status.DONE and task.closed_at is not None


def test_revoking_rampart_access_removes_the_role_at_once(personas):
    emil = personas["employee_emil"]
    campaign = start_review_campaign(
        actor=personas["it_ivan"], scope=_scope([], rampart=True, entitlements=[Role.EMPLOYEE])
    )
    line = campaign.items.get(person=emil)
    assert line.reviewer == personas["it_ivan"]
    decide_review_item(actor=personas["it_ivan"], item=line, decision="revoked", comment="Left the team")
    assert not emil.groups.exists()
    assert RemovalTask.objects.get().status == RemovalTask.Status.DONE


def test_completion_needs_every_line_and_signs_the_evidence(personas, payments):
    campaign = start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments]))
    with pytest.raises(DomainError, match="still to be decided"):
        complete_review_campaign(actor=personas["it_ivan"], campaign=campaign)
    for line in campaign.items.all():
        decide_review_item(actor=line.reviewer, item=line, decision="certified", comment="ok")
    with pytest.raises(PermissionDeniedError):
        complete_review_campaign(actor=personas["officer_olga"], campaign=campaign)
    campaign = complete_review_campaign(actor=personas["it_ivan"], campaign=campaign)
    rows = list(csv.DictReader(io.StringIO(campaign.evidence_csv)))
    assert [r["account"] for r in rows] == ["emil", "ghost", "ivan"]
    assert {r["decision"] for r in rows} == {"certified"}
    public = load_pem_public_key(known_public_keys()[campaign.evidence_key_id].encode())
    public.verify(base64.b64decode(campaign.evidence_signature), campaign.evidence_csv.encode())  # type: ignore[union-attr]
    evidence = completed_campaigns()
    assert evidence[0]["name"] == "Q4 review" and evidence[0]["lines"] == 3 and evidence[0]["certified"] == 3
    assert evidence[0]["csv"] == campaign.evidence_csv and evidence[0]["signature"] == campaign.evidence_signature
    today = timezone.localdate()
    provided = {p.provider: p.items for p in collect_evidence(today, today)}
    assert [i["title"] for i in provided["reviews.campaigns"]] == ["Access review: Q4 review"]
    assert provided["reviews.campaigns"][0]["date"] == today.isoformat()
    assert collect_evidence(today - timedelta(days=9), today - timedelta(days=1)) == [] or not {
        p.provider: p.items for p in collect_evidence(today - timedelta(days=9), today - timedelta(days=1))
    }.get("reviews.campaigns")


def test_reminders_then_escalation_once(personas, payments):
    start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments], days=2))
    assert remind_and_escalate() == (1, 0)
    assert remind_and_escalate() == (0, 0)
    assert "it_ivan@example.test" in mail.outbox[0].to
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert remind_and_escalate() == (0, 1)
        assert remind_and_escalate() == (0, 0)
    assert "admin_alice@example.test" in mail.outbox[-1].to and "Overdue" in mail.outbox[-1].subject


def test_recurring_campaigns_start_again(personas, payments):
    start_review_campaign(actor=personas["admin_alice"], scope=_scope([payments], recur=30))
    assert start_recurring() == 0
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert start_recurring() == 1
        assert start_recurring() == 0
    assert ReviewCampaign.objects.count() == 2
    assert ReviewCampaign.objects.order_by("-pk").first().items.count() == 3  # type: ignore[union-attr]


def test_a_campaign_needs_something_to_review(personas):
    Asset.objects.create(name="Empty")
    with pytest.raises(DomainError, match="Choose at least one system"):
        start_review_campaign(actor=personas["admin_alice"], scope=_scope([]))


def test_findings_can_be_put_into_a_review(personas):
    personas["owner_omar"].is_active = False
    personas["owner_omar"].save()
    today = timezone.localdate()
    snap = snapshot(
        "CRM",
        [
            ("fresh", "officer_olga@example.test", ["r"], today, "active"),
            ("ghost", "ghost@nowhere.test", ["r"], today, "active"),
            ("omar", "owner_omar@example.test", ["r"], today, "active"),
            ("sleepy", "employee_emil@example.test", ["r"], today - timedelta(days=120), "active"),
            ("off", "employee_emil@example.test", ["r"], today - timedelta(days=120), "disabled"),
        ],
    )
    scope = CampaignScope("Findings", (snap.asset,), False, (), None, today + timedelta(days=3), findings=("orphan",))
    campaign = start_review_campaign(actor=personas["it_ivan"], scope=scope)
    assert list(campaign.items.values_list("account_name", flat=True)) == ["ghost"]
    scope = CampaignScope(
        "All findings",
        (snap.asset,),
        False,
        (),
        None,
        today + timedelta(days=3),
        findings=("orphan", "leaver", "dormant"),
    )
    campaign = start_review_campaign(actor=personas["it_ivan"], scope=scope)
    assert sorted(campaign.items.values_list("account_name", flat=True)) == ["ghost", "omar", "sleepy"]
    assert campaign.findings == ["orphan", "leaver", "dormant"]
