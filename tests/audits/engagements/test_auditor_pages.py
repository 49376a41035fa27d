"""An auditor reads, on governance pages and the API, exactly the scope of an engagement in progress.

The world (conftest): framework ISO 27001 is in scope, so its requirement A.5.1, control CTL-1
mapped to it, CTL-1's test, the exception on CTL-1, risk R-1 linked to CTL-1 and CTL-1's
evidence. NIS2, its requirement, CTL-9, its test, risk R-9 and CTL-9's evidence are outside.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Engagement, LogEntry
from config.context_processors import navigation
from governance.models import Control
from tests.audits.engagements.conftest import World

OUTSIDE_MARKS = ("Secret control", "CTL-9", "NIS2", "Risk analysis", "Outside risk", "Secret minutes")


def _body(response: Any) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode()


def _get(personas: Any, url: str) -> tuple[int, str]:
    response = personas.client("auditor_aude").get(url)
    return response.status_code, _body(response) if response.status_code == 200 else ""


LISTS = [
    ("governance:framework_list", "ISO 27001"),
    ("governance:framework_export", "ISO 27001"),
    ("governance:requirement_list", "A.5.1"),
    ("governance:requirement_export", "A.5.1"),
    ("governance:control_list", "CTL-1"),
    ("governance:control_csv", "CTL-1"),
    ("governance:control_test_list", "CTL-1"),
    ("governance:control_test_csv", "CTL-1"),
    ("governance:risk_list", "R-1"),
    ("governance:risk_export", "R-1"),
    ("governance:exception_list", "Excused"),
    ("governance:exception_export", "Excused"),
    ("audits:evidence_list", "Review minutes"),
]


@pytest.mark.parametrize(("name", "shown"), LISTS)
def test_lists_show_the_scope_and_nothing_outside(world: World, personas: Any, name: str, shown: str) -> None:
    status, body = _get(personas, reverse(name))
    assert status == 200
    assert shown in body
    for mark in OUTSIDE_MARKS:
        assert mark not in body, f"{name} shows {mark!r}, which is outside the scope"


def _details(world: World) -> list[tuple[str, int, int]]:
    """(route, in-scope pk, out-of-scope pk)."""
    return [
        ("governance:framework_detail", world.framework.pk, world.outside_framework.pk),
        ("governance:requirement_detail", world.requirement.pk, world.outside_requirement.pk),
        ("governance:control_detail", world.control.pk, world.outside_control.pk),
        ("governance:risk_detail", world.risk.pk, world.outside_risk.pk),
        ("framework-detail", world.framework.pk, world.outside_framework.pk),
        ("requirement-detail", world.requirement.pk, world.outside_requirement.pk),
        ("control-detail", world.control.pk, world.outside_control.pk),
        ("control-test-detail", world.test.pk, world.outside_test.pk),
        ("risk-detail", world.risk.pk, world.outside_risk.pk),
    ]


def test_each_object_in_scope_opens_and_each_outside_is_a_404(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    for name, inside, outside in _details(world):
        assert client.get(reverse(name, kwargs={"pk": inside})).status_code == 200, name
        assert client.get(reverse(name, kwargs={"pk": outside})).status_code == 404, name
    exception_page = client.get(reverse("governance:exception_detail", kwargs={"pk": world.exception.pk}))
    assert exception_page.status_code == 200
    assert client.get(reverse("exception-detail", kwargs={"pk": world.exception.pk})).status_code == 200


def test_api_lists_hold_exactly_the_scope(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    expected = {
        "framework-list": {world.framework.pk},
        "requirement-list": {world.requirement.pk},
        "control-list": {world.control.pk},
        "control-test-list": {world.test.pk},
        "risk-list": {world.risk.pk},
        "exception-list": {world.exception.pk},
    }
    for name, pks in expected.items():
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert {row["id"] for row in response.json()["results"]} == pks, name


def test_read_only_nothing_changes(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    control = reverse("control-detail", kwargs={"pk": world.control.pk})
    assert client.patch(control, {"title": "Renamed"}, content_type="application/json").status_code == 403
    assert client.get(reverse("governance:control_edit", kwargs={"pk": world.control.pk})).status_code == 403
    assert client.get(reverse("governance:risk_edit", kwargs={"pk": world.risk.pk})).status_code == 403
    page = _body(client.get(reverse("governance:control_detail", kwargs={"pk": world.control.pk})))
    assert "Record a test" not in page and "Edit</a>" not in page
    world.control.refresh_from_db()
    assert world.control.title == "Policy review"


def test_pages_outside_any_scope_stay_closed(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    for name in ("governance:dashboard", "governance:asset_list", "governance:finding_list", "coverage-list"):
        assert client.get(reverse(name)).status_code == 403, name


def test_control_page_names_only_requirements_in_scope(world: World, personas: Any) -> None:
    world.control.requirements.add(world.outside_requirement)  # CTL-1 also meets a NIS2 requirement
    page = _body(personas.client("auditor_aude").get(reverse("governance:control_detail", args=[world.control.pk])))
    assert "A.5.1" in page
    assert "Risk analysis" not in page
    officer_page = _body(
        personas.client("officer_olga").get(reverse("governance:control_detail", args=[world.control.pk]))
    )
    assert "Risk analysis" in officer_page


def _entry_of(obj: Any) -> LogEntry:
    content_type = ContentType.objects.get_for_model(type(obj))
    return LogEntry.objects.filter(content_type=content_type, object_id=obj.pk).order_by("sequence").first()


def test_trail_shows_the_entries_of_the_scope_only(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    inside, outside = _entry_of(world.control), _entry_of(world.outside_control)
    assert inside is not None and outside is not None
    api = client.get(reverse("audit-entry-list"), {"page_size": 200})
    assert api.status_code == 200
    ids = {row["id"] for row in api.json()["results"]}
    assert inside.pk in ids and outside.pk not in ids
    allowed = ContentType.objects.get_for_models(*_scoped_models()).values()
    assert not LogEntry.objects.filter(pk__in=ids).exclude(content_type__in=list(allowed)).exists()
    assert client.get(reverse("audits:entry_detail", args=[inside.pk])).status_code == 200
    assert client.get(reverse("audits:entry_detail", args=[outside.pk])).status_code == 404
    assert client.get(reverse("audit-entry-detail", args=[outside.pk])).status_code == 404
    page = _body(client.get(reverse("audits:trail")))
    assert "Signed checkpoints" not in page  # the whole chain's checkpoints are for trail readers
    csv = _body(client.get(reverse("audits:trail_export")))
    assert "Secret control" not in csv and "Policy review" in csv
    assert client.get(reverse("audits:checkpoints_download")).status_code == 403


def _scoped_models() -> list[Any]:
    from audits.scope import SCOPED_MODELS

    return list(SCOPED_MODELS)


ENDS = [
    "governance:control_list",
    "governance:requirement_list",
    "governance:risk_list",
    "governance:exception_list",
    "audits:trail",
    "control-list",
    "requirement-list",
    "risk-list",
    "audit-entry-list",
]


def test_access_ends_with_the_engagement_pages_and_api(world: World, personas: Any) -> None:
    detail = reverse("governance:control_detail", args=[world.control.pk])
    api_detail = reverse("control-detail", args=[world.control.pk])
    assert personas.client("auditor_aude").get(detail).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        client = personas.client("auditor_aude")
        for name in ENDS:
            assert client.get(reverse(name)).status_code == 403, name
        assert client.get(detail).status_code in (403, 404)
        assert client.get(api_detail).status_code in (403, 404)
    with time_machine.travel(timezone.now() - timedelta(days=11), tick=False):
        assert personas.client("auditor_aude").get(reverse("control-list")).status_code == 403


def test_owner_and_officer_unchanged(world: World, personas: Any) -> None:
    omar = personas.client("owner_omar").get(reverse("control-list")).json()
    assert {row["id"] for row in omar["results"]} == {world.control.pk, world.outside_control.pk}
    assert Control.objects.count() == 2


def test_the_engagement_page_leads_the_auditor_to_the_scope(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    page = _body(client.get(reverse("audits:engagement_detail", args=[world.engagement.pk])))
    control_url = reverse("governance:control_detail", args=[world.control.pk])
    requirement_url = reverse("governance:requirement_detail", args=[world.requirement.pk])
    assert control_url in page and requirement_url in page
    assert client.get(control_url).status_code == 200
    assert client.get(requirement_url).status_code == 200


def _menu(client: Any) -> tuple[list[str], int]:
    """The labels of the menu (dropdown children included) and the queries the menu cost."""
    request = RequestFactory().get("/")
    request.user = client.get(reverse("home")).wsgi_request.user
    request.session = {}
    with CaptureQueriesContext(connection) as captured:
        items = navigation(request)["nav_items"]
    labels = [child["label"] for item in items for child in item.get("children", [item])]
    return labels, len(captured.captured_queries)


def test_the_menu_shows_the_scope_while_it_runs_and_asks_once_between_engagements(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    during, _ = _menu(client)
    assert {"Frameworks", "Controls", "Risks", "Exceptions", "Engagements"} <= set(during)

    Engagement.objects.filter(pk=world.engagement.pk).update(end=timezone.localdate() - timedelta(days=1))
    after, queries = _menu(client)
    assert not {"Frameworks", "Controls", "Risks", "Exceptions"} & set(after)
    # One query says Aude audits nothing today; the four scope tests are not run (the menu's
    # Engagements entry asks for her engagements and evidence requests: two more).
    assert queries == 3
