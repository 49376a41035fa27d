"""Every change names its real actor: pages, API tokens, commands; and the client IP is not forgeable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client, override_settings
from django.urls import reverse
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from access import services
from access.models import ApiToken, AuthEvent, User
from audits.chain import verify_chain
from audits.models import LogEntry
from core.actor import acting
from tests.conftest import login

pytestmark = pytest.mark.django_db


def latest_entry_for(model: Any, **filters: Any) -> LogEntry:
    content_type = ContentType.objects.get_for_model(model)
    return LogEntry.objects.filter(content_type=content_type, **filters).latest("sequence")


def sign_out(client: Client, **extra: Any) -> LogEntry:
    response = client.post(reverse("access:logout"), **extra)
    assert response.status_code == 302
    return latest_entry_for(AuthEvent)


def test_a_signed_in_page_post_names_the_user(personas: Any) -> None:
    olga = personas["officer_olga"]
    entry = sign_out(personas.client("officer_olga"))
    assert entry.object_repr == f"Signed out: {olga.email}"
    assert entry.actor_id == olga.pk and entry.actor_email == olga.email
    assert entry.remote_addr == "127.0.0.1"
    assert verify_chain().ok


def test_a_token_authenticated_api_call_names_the_token_owner(employee_emil: User) -> None:
    token, raw = services.create_api_token(user=employee_emil, name="laptop script")
    response = Client().post(
        reverse("token-revoke", kwargs={"pk": token.pk}),
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    entry = latest_entry_for(ApiToken, object_pk=str(token.pk))
    assert entry.action == LogEntry.Action.UPDATE and "revoked_at" in (entry.changes or {})
    assert entry.actor_id == employee_emil.pk
    assert entry.remote_addr == "127.0.0.1"


def test_a_command_wrapped_in_acting_names_actor_channel_and_os_user(admin_alice: User, employee_emil: User) -> None:
    with acting(admin_alice, via="command:deactivate"):
        services.deactivate_user(actor=admin_alice, user=employee_emil)
    entry = latest_entry_for(User, object_pk=str(employee_emil.pk))
    assert entry.actor_id == admin_alice.pk
    assert entry.additional_data is not None
    assert entry.additional_data["via"] == "command:deactivate"
    assert entry.additional_data["os_user"]
    assert entry.remote_addr is None
    assert entry.hash_matches


def test_scheduled_work_without_a_person_is_recorded_as_the_system() -> None:
    with acting(None, via="scheduler"):
        Group.objects.create(name="Made by a job")
    entry = latest_entry_for(Group)
    assert entry.actor_id is None and entry.actor_label == "system"
    assert entry.additional_data is not None and entry.additional_data["via"] == "scheduler"


def test_after_acting_ends_the_actor_is_not_carried_over(admin_alice: User) -> None:
    with acting(admin_alice, via="command"):
        Group.objects.create(name="Inside")
    Group.objects.create(name="Outside")
    assert latest_entry_for(Group).actor_id is None


def test_group_membership_changes_are_recorded(admin_alice: User, employee_emil: User) -> None:
    auditors = Group.objects.get(name="Auditor")
    with acting(admin_alice, via="test"):
        employee_emil.groups.add(auditors)
    entry = latest_entry_for(User, object_pk=str(employee_emil.pk))
    assert entry.changes == {"groups": {"type": "m2m", "operation": "add", "objects": ["Auditor"]}}
    assert entry.actor_id == admin_alice.pk
    with acting(admin_alice, via="test"):
        employee_emil.groups.remove(auditors)
    removal = latest_entry_for(User, object_pk=str(employee_emil.pk))
    assert removal.changes is not None and removal.changes["groups"]["operation"] == "delete"


def test_guardian_object_permission_rows_are_recorded(admin_alice: User, it_ivan: User, employee_emil: User) -> None:
    with acting(admin_alice, via="test"):
        assign_perm("access.view_user", it_ivan, employee_emil)
    entry = latest_entry_for(UserObjectPermission)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor_id == admin_alice.pk
    assert entry.changes is not None and str(employee_emil.pk) in str(entry.changes.get("object_pk"))
    assert verify_chain().ok


def test_forwarded_for_is_ignored_without_a_trusted_proxy(employee_emil: User) -> None:
    client = login(Client(), employee_emil)
    entry = sign_out(client, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert entry.remote_addr == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_used_behind_a_trusted_proxy(employee_emil: User) -> None:
    client = login(Client(), employee_emil)
    entry = sign_out(client, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.66, 10.9.9.9")
    assert entry.remote_addr == "203.0.113.66"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_a_forged_hop_before_the_proxy_is_not_believed(employee_emil: User) -> None:
    """The client's own X-Forwarded-For is kept by the proxy; only the hop the proxy saw counts."""
    client = login(Client(), employee_emil)
    entry = sign_out(client, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20")
    assert entry.remote_addr == "198.51.100.20"


def test_an_overlong_correlation_id_does_not_break_writes(employee_emil: User) -> None:
    client = login(Client(), employee_emil)
    entry = sign_out(client, HTTP_X_CORRELATION_ID="x" * 400)
    assert entry.cid == "x" * 255
    assert verify_chain().ok
