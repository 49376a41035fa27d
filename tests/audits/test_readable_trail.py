"""The audit trail reads like a sentence: who did it, which field, which value.

A sign-in names the person signing in (a failed one, the email that was typed); changes
show field labels, names instead of ids and choice labels instead of codes; a creation
lists the values it set, without "None →". The CSV and the API keep the raw values too.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from access.models import AuthEvent
from audits.models import LogEntry
from core.actor import acting
from governance.models import Control
from tests.access.helpers import post_sign_in
from tests.conftest import PERSONA_PASSWORD

pytestmark = pytest.mark.django_db

TRAIL = reverse("audits:trail")


def _latest(model: Any) -> LogEntry:
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model)).latest("sequence")


def _detail(personas: Any, entry: LogEntry) -> str:
    return personas.client("officer_olga").get(reverse("audits:entry_detail", args=[entry.pk])).content.decode()


def test_a_sign_in_is_done_by_the_person_signing_in(personas: Any) -> None:
    emil = personas["employee_emil"]
    assert post_sign_in(Client(), emil.email, PERSONA_PASSWORD).status_code == 302
    entry = _latest(AuthEvent)
    assert entry.object_repr == f"Signed in: {emil.email}"
    assert entry.actor_id == emil.pk and entry.actor_email == emil.email

    page = personas.client("officer_olga").get(TRAIL).content.decode()
    assert "Kind: Signed in" in page
    assert "User: Emil Employee" in page
    assert "None →" not in page and "sign_in" not in page
    row = next(r for r in page.split("<tr>") if f"Signed in: {emil.email}" in r)
    assert "Emil Employee &lt;employee_emil@example.test&gt;" in row and "system" not in row


def test_a_failed_sign_in_names_the_email_that_was_typed(personas: Any) -> None:
    post_sign_in(Client(), "nobody@example.test", "wrong password")
    entry = _latest(AuthEvent)
    assert entry.actor_id is None and entry.actor_email == "nobody@example.test"
    page = _detail(personas, entry)
    assert "nobody@example.test (not signed in)" in page
    assert "Sign-in failed" in page


def test_changes_show_labels_names_and_choice_labels(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    with acting(olga, via="test"):
        control = Control.objects.create(ref="CTL-READ", title="Readable", status=Control.Status.PLANNED)
        control.status, control.owner = Control.Status.IMPLEMENTED, omar
        control.save()
    created = LogEntry.objects.filter(object_pk=str(control.pk), action=LogEntry.Action.CREATE).latest("sequence")
    updated = _latest(Control)

    changed = _detail(personas, updated)
    assert "Planned" in changed and "Implemented" in changed and "Omar Owner" in changed
    assert f">{omar.pk}<" not in changed and ">implemented<" not in changed
    created_page = _detail(personas, created)
    assert "None" not in created_page.split('data-testid="changes-table"')[1].split("</table>")[0]

    page = personas.client("officer_olga").get(TRAIL, {"object_id": str(control.pk)}).content.decode()
    assert "Status: Planned → Implemented" in page
    assert "Owner: set to Omar Owner" in page
    assert "Ref: CTL-READ; Title: Readable; Status: Planned" in page  # what the creation set, no "None →"


def test_csv_and_api_keep_the_raw_values_beside_the_readable_ones(personas: Any) -> None:
    olga, omar = personas["officer_olga"], personas["owner_omar"]
    with acting(olga, via="test"):
        control = Control.objects.create(ref="CTL-RAW", title="Raw", status=Control.Status.PLANNED)
        control.owner = omar
        control.save()
    response = personas.client("officer_olga").get(reverse("audits:trail_export"), {"object_id": str(control.pk)})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    update = next(r for r in rows if r["action"] == "update")
    assert f"owner: None → {omar.pk}" in update["changes"]
    assert "Owner: set to Omar Owner" in update["changes_readable"]
    assert update["actor"] == olga.email

    client = Client()
    client.force_login(olga)
    data = client.get("/api/v1/audit-entries/", {"object_id": str(control.pk), "action": "update"}).json()
    entry = data["results"][0]
    assert entry["changes"]["owner"] == ["None", str(omar.pk)]
    assert {"field": "owner", "label": "Owner", "before": "", "after": "Omar Owner"} in entry["changes_readable"]
    assert entry["actor_label"] == f"Olga Officer <{olga.email}>"


def test_a_command_line_change_names_the_command_and_the_os_user(personas: Any) -> None:
    with acting(None, via="command:seed_demo"):
        Control.objects.create(ref="CTL-CMD", title="From the command line")
    entry = _latest(Control)
    assert "command line (seed_demo, operating-system user " in _detail(personas, entry)
