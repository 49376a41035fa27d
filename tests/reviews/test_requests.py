"""Access requests: decided by someone else, granted access ends by itself, break-glass alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_perms

from access.models import Role
from core.errors import DomainError, PermissionDeniedError, SegregationOfDutiesError
from governance.models import Control
from reviews.models import AccessGrant, AccessRequest
from reviews.services import requests as services


def test_granted_role_works_until_it_expires_then_pages_and_api_refuse_at_once(personas):
    emil = personas["employee_emil"]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        request = services.request_access(actor=emil, role=Role.COMPLIANCE_OFFICER, reason="Audit prep", hours=1)
        with pytest.raises(PermissionDeniedError):
            services.decide_access_request(actor=emil, request=request, approve=True)
        own = services.request_access(actor=personas["it_ivan"], role=Role.AUDITOR, reason="Audit", hours=1)
        with pytest.raises(SegregationOfDutiesError):
            services.decide_access_request(actor=personas["it_ivan"], request=own, approve=True)
        services.decide_access_request(actor=personas["admin_alice"], request=request, approve=True)
        client = personas.client("employee_emil")
        assert client.get(reverse("governance:control_list")).status_code == 200
        assert client.get("/api/v1/controls/").status_code == 200
        traveller.move_to(start + timedelta(hours=1, seconds=1))
        assert client.get(reverse("governance:control_list")).status_code == 403
        assert client.get("/api/v1/controls/").status_code == 403
    assert not emil.groups.filter(name=Role.COMPLIANCE_OFFICER).exists()
    assert AccessRequest.objects.get(pk=request.pk).status == AccessRequest.Status.EXPIRED
    assert AccessGrant.objects.get().removed_at is not None


def test_the_job_removes_expired_object_permissions(personas):
    omar = personas["owner_omar"]
    control = Control.objects.create(ref="C-9", title="Payments")
    request = services.request_access(
        actor=omar, permission="governance.change_control", obj=control, reason="Cover", hours=2
    )
    services.decide_access_request(actor=personas["it_ivan"], request=request, approve=True)
    assert "change_control" in get_perms(omar, control)
    assert services.expire_due_grants() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        from jobs.models import JobRun
        from reviews.jobs import expire_access_grants

        assert expire_access_grants(JobRun()) == "1 grant(s) removed."
    assert "change_control" not in get_perms(omar, control)


def test_refusals(personas):
    emil = personas["employee_emil"]
    with pytest.raises(DomainError, match="already hold"):
        services.request_access(actor=emil, role=Role.EMPLOYEE, reason="x", hours=1)
    with pytest.raises(DomainError, match="why"):
        services.request_access(actor=emil, role=Role.AUDITOR, reason=" ", hours=1)
    with pytest.raises(DomainError, match="between 1 and"):
        services.request_access(actor=emil, role=Role.AUDITOR, reason="x", hours=0)
    request = services.request_access(actor=emil, role=Role.AUDITOR, reason="x", hours=1)
    with pytest.raises(DomainError, match="permission"):
        services.decide_access_request(actor=personas["owner_omar"], request=request, approve=True)


def test_break_glass_is_granted_at_once_alerts_administrators_and_is_reviewed(personas):
    ivan = personas["it_ivan"]
    request = services.break_glass(actor=ivan, role=Role.ADMINISTRATOR, reason="Outage", hours=2)
    assert ivan.groups.filter(name=Role.ADMINISTRATOR).exists()
    assert mail.outbox and "admin_alice@example.test" in mail.outbox[0].to
    assert "Break-glass" in mail.outbox[0].subject
    with pytest.raises(SegregationOfDutiesError):
        services.review_break_glass(actor=ivan, request=request, note="fine")
    services.review_break_glass(actor=personas["admin_alice"], request=request, note="Checked the actions")
    request.refresh_from_db()
    assert request.reviewed_by == personas["admin_alice"]
    with pytest.raises(DomainError, match="between 1 and 24"):
        services.break_glass(actor=personas["employee_emil"], role=Role.AUDITOR, reason="x", hours=48)


def _risk(ref: str = "RSK-T1"):
    from governance.models import Risk

    return Risk.objects.create(
        ref=ref,
        title="Supplier outage",
        inherent_likelihood=2,
        inherent_impact=2,
        residual_likelihood=1,
        residual_impact=1,
    )


def test_granted_object_permission_ends_at_once_for_pages_and_token_api_without_the_job(personas):
    """No state of this process helps: the flag is read with the user (session) or the token, every time."""
    from tests.api.conftest import token_client

    ivan = personas["it_ivan"]  # reads every risk; his role may hold object permissions on risks
    risk = _risk()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        request = services.request_access(
            actor=ivan, permission="governance.change_risk", obj=risk, reason="Fix the scoring", hours=2
        )
        page = personas.client("it_ivan")
        api, _ = token_client(ivan)
        edit = reverse("governance:risk_edit", kwargs={"pk": risk.pk})
        assert page.get(edit).status_code == 403
        services.decide_access_request(actor=personas["admin_alice"], request=request, approve=True)
        assert page.get(edit).status_code == 200
        patch = api.patch(
            f"/api/v1/risks/{risk.pk}/", data={"title": "Supplier outage (EU)"}, content_type="application/json"
        )
        assert patch.status_code == 200, patch.content
        traveller.move_to(start + timedelta(hours=2))
        assert page.get(edit).status_code == 403
        refused = api.patch(f"/api/v1/risks/{risk.pk}/", data={"title": "Again"}, content_type="application/json")
        assert refused.status_code in (403, 404)
    risk.refresh_from_db()
    assert risk.title == "Supplier outage (EU)"
    assert "change_risk" not in get_perms(ivan, risk)
    assert AccessRequest.objects.get(pk=request.pk).status == AccessRequest.Status.EXPIRED


def test_a_lapsed_grant_costs_no_query_until_it_lapses(personas):
    """The lapse flag is part of the query that loads the user: the same count with a grant running."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ivan = personas["it_ivan"]
    request = services.request_access(
        actor=ivan, permission="governance.change_risk", obj=_risk(), reason="Fix the scoring", hours=2
    )
    client = personas.client("it_ivan")
    url = reverse("reviews:access_requests")
    client.get(url)
    with CaptureQueriesContext(connection) as pending:
        client.get(url)
    services.decide_access_request(actor=personas["admin_alice"], request=request, approve=True)
    with CaptureQueriesContext(connection) as granted:
        client.get(url)
    assert len(granted) == len(pending)
    user_load = [q["sql"] for q in granted.captured_queries if '"reviews_accessgrant"' in q["sql"]]
    assert user_load and '"access_user"' in user_load[0]


def test_who_can_access_shows_access_granted_for_a_while_and_when_it_ends(personas):
    from django.utils import formats

    emil = personas["employee_emil"]
    request = services.request_access(actor=emil, role=Role.AUDITOR, reason="Audit", hours=3)
    services.decide_access_request(actor=personas["admin_alice"], request=request, approve=True)
    ends = AccessGrant.objects.get().expires_at
    page = personas.client("it_ivan").get(reverse("reviews:person_access", kwargs={"pk": emil.pk})).content.decode()
    until = f"until {formats.date_format(timezone.localtime(ends))} {formats.time_format(timezone.localtime(ends))}"
    roles = page.split('data-testid="roles"')[1].split("</ul>")[0]
    assert f'Auditor <small class="text-muted">(granted on request, {until})' in roles
    assert 'Employee <small class="text-muted">(role; until removed)' in roles
    grants = page.split('data-testid="grants"')[1].split("</ul>")[0]
    assert f"the role Auditor · access request #{request.pk} · {until}" in grants
