"""Access reviews: pages under /reviews/ and the system-accounts API.

- Administrators and IT administrators manage (import, rules, campaigns); Compliance officers
  read (dashboard, accounts, rules, campaigns, evidence, who can access what).
- Control owners, Auditors and Employees see nothing, except that anyone may be a reviewer:
  "My reviews" is open to every signed-in user, and a line is decided only by its reviewer
  (here Ivan); anyone else gets 404 and the line stays undecided.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from access.models import Role
from governance.models import ComplianceException, Control, Risk
from reviews.models import AccessRequest, ReviewCampaign, ReviewItem, SodExemption, SodRule, SystemAccountImport
from reviews.services.campaigns import CampaignScope, complete_review_campaign, open_campaign
from reviews.services.imports import AccountRow, write_snapshot
from reviews.services.requests import break_glass, request_access
from tests.security.expectations import ALL, API_ANON, Route, roles

READERS = roles("admin_alice", "officer_olga", "it_ivan")
MANAGERS = roles("admin_alice", "it_ivan")


def _campaign(p: Any) -> ReviewCampaign:
    row = AccountRow("emil", p["employee_emil"].email, ("read",), None, "active")
    snapshot = write_snapshot(system="Matrix system", rows=[row], actor=None, source="command")
    scope = CampaignScope(
        name="Matrix review",
        systems=(snapshot.asset,),
        include_rampart=False,
        entitlements=(),
        reviewer=p["it_ivan"],
        due_on=timezone.localdate() + timedelta(days=7),
    )
    return open_campaign(starter=p["it_ivan"], scope=scope)


def _open(p: Any) -> dict[str, Any]:
    return {"pk": _campaign(p).pk}


def _decided(p: Any) -> dict[str, Any]:
    campaign = _campaign(p)
    campaign.items.update(decision=ReviewItem.Decision.CERTIFIED, decided_at=timezone.now())
    return {"pk": campaign.pk}


def _completed(p: Any) -> dict[str, Any]:
    campaign = _campaign(p)
    campaign.items.update(decision=ReviewItem.Decision.CERTIFIED, decided_at=timezone.now())
    complete_review_campaign(actor=p["admin_alice"], campaign=campaign)
    return {"pk": campaign.pk}


def _control() -> Control:
    return Control.objects.create(ref="CTL-REVIEWS-MATRIX", title="Seen by whom")


def _emils_request(p: Any) -> dict[str, Any]:
    request = request_access(actor=p["employee_emil"], role=Role.AUDITOR, reason="Matrix", hours=1)
    return {"pk": request.pk}


def _emils_break_glass(p: Any) -> dict[str, Any]:
    return {"pk": break_glass(actor=p["employee_emil"], role=Role.AUDITOR, reason="Matrix", hours=1).pk}


def _risk_to_ask_for(p: Any) -> dict[str, Any]:
    Risk.objects.create(
        ref="RSK-MATRIX",
        title="Asked for",
        inherent_likelihood=1,
        inherent_impact=1,
        residual_likelihood=1,
        residual_impact=1,
    )
    return {}


def _violation_and_waiver(p: Any) -> dict[str, Any]:
    """Emil violates a rule in Rampart itself; an approved exception may cover it."""
    SodRule.objects.create(
        name="Matrix SoD",
        first_system="Rampart",
        first_entitlement="Employee",
        second_system="Rampart",
        second_entitlement="policies.view_policy",
    )
    ComplianceException.objects.create(
        title="Matrix waiver",
        control=_control(),
        reason="Matrix",
        requested_by=p["officer_olga"],
        status=ComplianceException.Status.APPROVED,
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    return {}


def _cover_body(p: Any) -> dict[str, Any]:
    rule = SodRule.objects.get(name="Matrix SoD")
    waiver = ComplianceException.objects.get(title="Matrix waiver")
    return {"violation": f"{rule.pk}:{p['employee_emil'].pk}", "exception": waiver.pk}


def _item(p: Any) -> dict[str, Any]:
    return {"pk": _campaign(p).items.get().pk}


ROUTES = [
    Route("reviews:dashboard", READERS),
    Route("reviews:account_list", READERS),
    Route("reviews:account_export", READERS),
    Route("reviews:import", MANAGERS),
    Route("reviews:sod", READERS),
    Route(
        "reviews:sod_add",
        MANAGERS,
        method="post",
        ok=302,
        data={"name": "Matrix rule", "first": "Pay:create", "second": "Pay:approve"},
        wrote=lambda p: SodRule.objects.filter(name="Matrix rule").exists(),
    ),
    Route(
        "reviews:sod_cover",
        MANAGERS,
        kwargs=_violation_and_waiver,
        method="post",
        ok=302,
        data=_cover_body,
        wrote=lambda p: SodExemption.objects.exists(),
    ),
    Route("reviews:exception_search", MANAGERS),
    Route("reviews:campaign_list", READERS),
    Route("reviews:campaign_create", MANAGERS),
    Route("reviews:campaign_detail", READERS, kwargs=_open, denied=(403, 404)),
    Route(
        "reviews:campaign_complete",
        MANAGERS,
        kwargs=_decided,
        method="post",
        ok=302,
        wrote=lambda p: ReviewCampaign.objects.filter(status=ReviewCampaign.Status.COMPLETED).exists(),
    ),
    Route("reviews:campaign_evidence", READERS, kwargs=_completed),
    Route("reviews:my_reviews", ALL),
    Route(
        "reviews:item_decide",
        roles("it_ivan"),
        kwargs=_item,
        method="post",
        ok=302,
        denied=(404,),
        data={"decision": "certified", "comment": "Needed"},
        wrote=lambda p: ReviewItem.objects.filter(decision=ReviewItem.Decision.CERTIFIED).exists(),
        note="only the line's reviewer decides it",
    ),
    Route("reviews:person_access", READERS, kwargs=lambda p: {"pk": p["employee_emil"].pk}),
    Route("reviews:object_access", READERS, kwargs=lambda p: {"kind": "control", "pk": _control().pk}),
    Route("reviews:access_requests", ALL),
    Route(
        "reviews:request_create",
        ALL,
        method="post",
        ok=302,
        data={"role": "Auditor", "reason": "Matrix", "hours": 1},
        note="anyone may ask (the Auditor already holds the role: refused with a message)",
    ),
    Route(
        "reviews:request_object_create",
        roles("it_ivan", "owner_omar"),
        kwargs=_risk_to_ask_for,
        method="post",
        ok=302,
        denied=(400,),
        data={
            "obj-kind": "risk",
            "obj-ref": "RSK-MATRIX",
            "obj-action": "change",
            "obj-reason": "Matrix",
            "obj-hours": 1,
        },
        wrote=lambda p: AccessRequest.objects.filter(permission="governance.change_risk").exists(),
        note="anyone may ask; a 400 names why (the role holds it already, or may not hold it on one risk)",
    ),
    Route(
        "reviews:request_decide",
        MANAGERS,
        kwargs=_emils_request,
        method="post",
        ok=302,
        data={"decision": "grant"},
        wrote=lambda p: AccessRequest.objects.filter(status=AccessRequest.Status.GRANTED).exists(),
    ),
    Route(
        "reviews:break_glass",
        ALL,
        method="post",
        ok=302,
        data={"glass-role": "Auditor", "glass-reason": "Matrix", "glass-hours": 1},
        note="anyone may break glass; Administrators are alerted and review it",
    ),
    Route(
        "reviews:break_glass_review",
        MANAGERS,
        kwargs=_emils_break_glass,
        method="post",
        ok=302,
        data={"note": "Checked"},
        wrote=lambda p: AccessRequest.objects.filter(reviewed_at__isnull=False).exists(),
    ),
    Route("access-request-list", ALL, anonymous=API_ANON),
    Route(
        "access-request-list",
        roles("admin_alice", "officer_olga", "it_ivan", "owner_omar", "employee_emil"),
        method="post",
        ok=201,
        denied=(400,),
        anonymous=API_ANON,
        data={"role": "Auditor", "reason": "Matrix", "hours": 1},
        wrote=lambda p: AccessRequest.objects.filter(role="Auditor").exists(),
        note="anyone may ask; the Auditor already holds the role (400 naming the field)",
    ),
    Route("access-request-pending", MANAGERS, anonymous=API_ANON),
    Route(
        "access-request-approve",
        MANAGERS,
        kwargs=_emils_request,
        method="post",
        denied=(403, 404),
        anonymous=API_ANON,
        wrote=lambda p: AccessRequest.objects.filter(status=AccessRequest.Status.GRANTED).exists(),
        note="the requester gets 403 (no approver), others 404 (not theirs to see)",
    ),
    Route(
        "access-request-reject",
        MANAGERS,
        kwargs=_emils_request,
        method="post",
        denied=(403, 404),
        anonymous=API_ANON,
        data={"note": "No need"},
        wrote=lambda p: AccessRequest.objects.filter(status=AccessRequest.Status.REJECTED).exists(),
    ),
    Route("system-account-list", READERS, anonymous=API_ANON),
    Route("system-account-report", READERS, anonymous=API_ANON),
    Route(
        "system-account-push",
        MANAGERS,
        method="post",
        ok=201,
        anonymous=API_ANON,
        data={"system": "Pushed system", "accounts": [{"account": "a", "email": "", "status": "active"}]},
        wrote=lambda p: SystemAccountImport.objects.filter(asset__name="Pushed system").exists(),
    ),
]
