"""One owner (or assignee) for many frameworks, requirements, planned tests or exceptions at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.services import create_api_token
from audits.models import LogEntry
from core.actor import acting
from core.errors import PermissionDeniedError
from governance.models import ComplianceException, Control, ControlTest, Finding, Framework, Requirement
from governance.scoping import hand_over_object_perms
from governance.services import owners
from governance.services.exceptions import request_exception

pytestmark = pytest.mark.django_db


@pytest.fixture
def frameworks(db: Any) -> list[Framework]:
    return [Framework.objects.create(key=f"fw-{i}", name=f"Framework {i}") for i in range(3)]


@pytest.fixture
def requirements(frameworks: list[Framework]) -> list[Requirement]:
    return [Requirement.objects.create(framework=frameworks[0], ref_id=f"R-{i}", title=f"Rule {i}") for i in range(3)]


@pytest.fixture
def findings(db: Any) -> list[Finding]:
    return [Finding.objects.create(title=f"Finding {i}") for i in range(3)]


@pytest.fixture
def tests_of_a_control(personas: Any) -> list[ControlTest]:
    """Planned tests of a control owned by owner_omar (so he may record them)."""
    control = Control.objects.create(ref="CTL-T", title="Tested control", owner=personas["owner_omar"])
    hand_over_object_perms(obj=control, previous=None, new=personas["owner_omar"])
    today = timezone.localdate()
    return [ControlTest.objects.create(control=control, due_date=today + timedelta(days=i)) for i in range(3)]


def entries_about(model: Any) -> int:
    return LogEntry.objects.filter(content_type__model=model._meta.model_name, action=LogEntry.Action.UPDATE).count()


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [
        (owners.FRAMEWORKS, "frameworks"),
        (owners.REQUIREMENTS, "requirements"),
        (owners.CONTROL_TESTS, "tests_of_a_control"),
    ],
)
def test_one_owner_for_many_with_an_entry_each(request: Any, personas: Any, kind: Any, fixture: str) -> None:
    rows = request.getfixturevalue(fixture)
    omar = personas["owner_omar"]
    before = entries_about(kind.model)
    with acting(personas["officer_olga"], via="test"):
        changed = owners.bulk_assign(actor=personas["officer_olga"], kind=kind, objects=rows[:2], person=omar)
    assert changed == 2
    fresh = {row.pk: getattr(row, f"{kind.field}_id") for row in kind.model.objects.all()}
    assert [fresh[row.pk] for row in rows] == [omar.pk, omar.pk, None]
    assert entries_about(kind.model) == before + 2
    entry = LogEntry.objects.filter(content_type__model=kind.model._meta.model_name).order_by("-sequence").first()
    assert entry is not None and entry.actor_id == personas["officer_olga"].pk
    # Giving the same owner again changes nothing and writes nothing.
    assert owners.bulk_assign(actor=personas["officer_olga"], kind=kind, objects=rows[:2], person=omar) == 0
    assert entries_about(kind.model) == before + 2


@pytest.mark.parametrize("persona", ["it_ivan", "owner_omar", "auditor_aude", "employee_emil"])
def test_only_those_who_may_change_them_assign_owners(personas: Any, frameworks: list[Framework], persona: str) -> None:
    with pytest.raises(PermissionDeniedError):
        owners.bulk_assign(actor=personas[persona], kind=owners.FRAMEWORKS, objects=frameworks, person=None)
    assert not Framework.objects.filter(owner__isnull=False).exists()


def test_a_deactivated_user_cannot_be_the_owner(personas: Any, requirements: list[Requirement]) -> None:
    gone = personas["employee_emil"]
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError) as raised:
        owners.bulk_assign(actor=personas["officer_olga"], kind=owners.REQUIREMENTS, objects=requirements, person=gone)
    assert "owner" in raised.value.message_dict
    assert not Requirement.objects.filter(owner__isnull=False).exists()


def test_performed_tests_keep_their_tester_and_nothing_is_half_assigned(
    personas: Any, tests_of_a_control: list[ControlTest]
) -> None:
    performed = tests_of_a_control[1]
    performed.result, performed.performed_on = "pass", timezone.localdate()
    performed.save()
    with pytest.raises(ValidationError) as raised:
        owners.bulk_assign(
            actor=personas["officer_olga"],
            kind=owners.CONTROL_TESTS,
            objects=tests_of_a_control,
            person=personas["owner_omar"],
        )
    assert "already performed" in raised.value.message_dict["ids"][0]
    assert "CTL-T" in raised.value.message_dict["ids"][0]
    assert not ControlTest.objects.filter(assignee__isnull=False).exists(), "all or nothing"


def test_clearing_the_owner(personas: Any, frameworks: list[Framework]) -> None:
    olga = personas["officer_olga"]
    owners.bulk_assign(actor=olga, kind=owners.FRAMEWORKS, objects=frameworks, person=olga)
    assert owners.bulk_assign(actor=olga, kind=owners.FRAMEWORKS, objects=frameworks[:1], person=None) == 1
    assert Framework.objects.get(pk=frameworks[0].pk).owner_id is None


def test_whoever_requests_an_exception_owns_it_until_reassigned(personas: Any, requirements: list[Requirement]) -> None:
    omar, olga = personas["owner_omar"], personas["officer_olga"]
    exception = request_exception(
        actor=olga,
        title="Legacy payroll cannot do MFA",
        reason="Vendor upgrade due next quarter",
        expires_on=timezone.localdate() + timedelta(days=60),
        requirement=requirements[0],
    )
    assert exception.owner_id == olga.pk
    owners.bulk_assign(actor=olga, kind=owners.EXCEPTIONS, objects=[exception], person=omar)
    assert ComplianceException.objects.get(pk=exception.pk).owner_id == omar.pk


# --- API ---


def api(user: Any) -> Client:
    _, raw = create_api_token(user=user, name="owners api tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize(
    ("route", "fixture", "field", "model_field"),
    [
        ("framework-bulk-owner", "frameworks", "owner", "owner_id"),
        ("requirement-bulk-owner", "requirements", "owner", "owner_id"),
        ("finding-bulk-owner", "findings", "owner", "owner_id"),
        ("control-test-bulk-assign", "tests_of_a_control", "assignee", "assignee_id"),
    ],
)
def test_the_api_gives_many_one_owner(
    request: Any, personas: Any, route: str, fixture: str, field: str, model_field: str
) -> None:
    rows = request.getfixturevalue(fixture)
    omar = personas["owner_omar"]
    client = api(personas["officer_olga"])
    body = {"ids": [rows[0].pk, rows[2].pk], field: omar.pk}
    response = client.post(reverse(route), body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {"changed": 2}
    model = type(rows[0])
    assert sorted(model.objects.filter(**{model_field: omar.pk}).values_list("pk", flat=True)) == [
        rows[0].pk,
        rows[2].pk,
    ]
    detail = client.get(reverse(route.rsplit("-bulk", 1)[0] + "-detail", args=[rows[0].pk])).json()
    assert detail[field] == omar.pk


def test_the_api_names_ids_it_cannot_find_and_changes_nothing(personas: Any, frameworks: list[Framework]) -> None:
    client = api(personas["officer_olga"])
    body = {"ids": [frameworks[0].pk, 999_999], "owner": personas["owner_omar"].pk}
    response = client.post(reverse("framework-bulk-owner"), body, content_type="application/json")
    assert response.status_code == 400
    assert "999999" in str(response.json())
    assert not Framework.objects.filter(owner__isnull=False).exists()


def test_the_api_refuses_a_performed_test_by_name(personas: Any, tests_of_a_control: list[ControlTest]) -> None:
    done = tests_of_a_control[0]
    done.result, done.performed_on = "fail", timezone.localdate()
    done.save()
    body = {"ids": [t.pk for t in tests_of_a_control], "assignee": personas["owner_omar"].pk}
    response = api(personas["officer_olga"]).post(
        reverse("control-test-bulk-assign"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "already performed" in str(response.json())


def test_the_api_reassigns_exceptions(personas: Any, requirements: list[Requirement]) -> None:
    olga = personas["officer_olga"]
    exception = request_exception(
        actor=olga,
        title="T",
        reason="R",
        expires_on=timezone.localdate() + timedelta(days=5),
        requirement=requirements[0],
    )
    client = api(olga)
    response = client.post(
        reverse("exception-bulk-owner"),
        {"ids": [exception.pk], "owner": personas["admin_alice"].pk},
        content_type="application/json",
    )
    assert response.json() == {"changed": 1}
    assert client.get(reverse("exception-detail", args=[exception.pk])).json()["owner"] == personas["admin_alice"].pk


def test_the_api_hands_many_controls_over_with_their_permissions(personas: Any) -> None:
    controls = [Control.objects.create(ref=f"CTL-B{i}", title=f"Control {i}") for i in range(2)]
    omar = personas["owner_omar"]
    response = api(personas["officer_olga"]).post(
        reverse("control-bulk-owner"),
        {"ids": [c.pk for c in controls], "owner": omar.pk},
        content_type="application/json",
    )
    assert response.json() == {"changed": 2}
    seen_by_omar = api(omar).get(reverse("control-list")).json()
    assert sorted(row["ref"] for row in seen_by_omar["results"]) == ["CTL-B0", "CTL-B1"]


# --- Pages ---

LISTS = [
    # (list URL name, bulk URL name, fixture, model field, filter parameter)
    ("governance:framework_list", "governance:framework_bulk_owner", "frameworks", "owner_id", "owner"),
    ("governance:requirement_list", "governance:requirement_bulk_owner", "requirements", "owner_id", "owner"),
    (
        "governance:control_test_list",
        "governance:control_test_bulk_assign",
        "tests_of_a_control",
        "assignee_id",
        "assignee",
    ),
    ("governance:finding_list", "governance:finding_bulk_owner", "findings", "owner_id", "owner"),
]


@pytest.mark.parametrize(("list_name", "bulk_name", "fixture", "field", "param"), LISTS)
def test_a_list_ticks_rows_gives_them_an_owner_and_filters_on_it(
    request: Any, personas: Any, list_name: str, bulk_name: str, fixture: str, field: str, param: str
) -> None:
    rows = request.getfixturevalue(fixture)
    omar = personas["owner_omar"]
    client = personas.client("officer_olga")
    page = client.get(reverse(list_name)).content.decode()
    assert f'formaction="{reverse(bulk_name)}"' in page
    assert f'name="ids" value="{rows[1].pk}"' in page
    response = client.post(
        reverse(bulk_name),
        {"ids": [rows[0].pk, rows[1].pk], "owner": omar.pk, "return_query": "sort=-pk&q=x"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(list_name) + "?sort=-pk&q=x", "back to the same view of the list"
    assert "on 2 of the 2 ticked" in response.content.decode()
    model = type(rows[0])
    assert sorted(model.objects.filter(**{field: omar.pk}).values_list("pk", flat=True)) == sorted(
        [rows[0].pk, rows[1].pk]
    )
    filtered = client.get(reverse(list_name), {param: omar.pk})
    shown = {row.pk for row in filtered.context["listing"].rows}
    assert shown == {rows[0].pk, rows[1].pk}
    assert str(omar.pk) in filtered.content.decode() and "Omar" in filtered.content.decode(), "the active person shown"


def test_it_administrators_see_owners_but_cannot_change_them(personas: Any, frameworks: list[Framework]) -> None:
    client = personas.client("it_ivan")
    page = client.get(reverse("governance:framework_list")).content.decode()
    assert 'name="ids"' not in page and "bulk-owner" not in page
    response = client.post(
        reverse("governance:framework_bulk_owner"), {"ids": [frameworks[0].pk], "owner": personas["it_ivan"].pk}
    )
    assert response.status_code == 403
    assert not Framework.objects.filter(owner__isnull=False).exists()


def test_a_performed_test_has_no_box_and_a_forged_one_changes_nothing(
    personas: Any, tests_of_a_control: list[ControlTest]
) -> None:
    done = tests_of_a_control[2]
    done.result, done.performed_on = "pass", timezone.localdate()
    done.save()
    client = personas.client("officer_olga")
    page = client.get(reverse("governance:control_test_list")).content.decode()
    assert f'name="ids" value="{done.pk}"' not in page
    assert f'name="ids" value="{tests_of_a_control[0].pk}"' in page
    response = client.post(
        reverse("governance:control_test_bulk_assign"),
        {"ids": [tests_of_a_control[0].pk, done.pk], "owner": personas["owner_omar"].pk},
        follow=True,
    )
    assert "already performed" in response.content.decode()
    assert not ControlTest.objects.filter(assignee__isnull=False).exists()


def test_nothing_ticked_or_an_unknown_person_is_an_error_not_a_change(
    personas: Any, frameworks: list[Framework]
) -> None:
    client = personas.client("officer_olga")
    cases = (
        ({"owner": personas["owner_omar"].pk}, "Tick at least one of the frameworks."),
        ({"ids": [frameworks[0].pk], "owner": 999_999}, "New owner: choose a person the search offers"),
    )
    for data, message in cases:
        response = client.post(reverse("governance:framework_bulk_owner"), data, follow=True)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Framework.objects.filter(owner__isnull=False).exists()


def test_exceptions_list_gives_owners(personas: Any, requirements: list[Requirement]) -> None:
    olga, alice = personas["officer_olga"], personas["admin_alice"]
    exception = request_exception(
        actor=olga,
        title="Old HR tool",
        reason="R",
        expires_on=timezone.localdate() + timedelta(days=9),
        requirement=requirements[0],
    )
    client = personas.client("officer_olga")
    assert f'name="ids" value="{exception.pk}"' in client.get(reverse("governance:exception_list")).content.decode()
    client.post(reverse("governance:exception_bulk_owner"), {"ids": [exception.pk], "owner": alice.pk})
    assert ComplianceException.objects.get(pk=exception.pk).owner_id == alice.pk
    exported = b"".join(client.get(reverse("governance:exception_export")).streaming_content).decode()
    assert alice.email in exported


@pytest.mark.parametrize(
    ("export_name", "fixture", "header"),
    [
        ("governance:framework_export", "frameworks", "owner"),
        ("governance:requirement_export", "requirements", "owner"),
        ("governance:control_test_csv", "tests_of_a_control", "Assigned to"),
    ],
)
def test_exports_name_the_owner(request: Any, personas: Any, export_name: str, fixture: str, header: str) -> None:
    rows = request.getfixturevalue(fixture)
    olga = personas["officer_olga"]
    kind = {"frameworks": owners.FRAMEWORKS, "requirements": owners.REQUIREMENTS}.get(fixture, owners.CONTROL_TESTS)
    with acting(olga, via="test"):
        owners.bulk_assign(actor=olga, kind=kind, objects=rows[:1], person=personas["admin_alice"])
    response = personas.client("officer_olga").get(reverse(export_name))
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    lines = text.splitlines()
    assert header in lines[0].split(",")
    assert sum(personas["admin_alice"].email in line for line in lines[1:]) == 1


def test_an_assigned_test_moves_to_the_assignees_home(personas: Any) -> None:
    omar, olga, alice = personas["owner_omar"], personas["officer_olga"], personas["admin_alice"]
    control = Control.objects.create(ref="CTL-HOME", title="Quarterly access review", owner=omar)
    test = ControlTest.objects.create(control=control, due_date=timezone.localdate() + timedelta(days=3))
    assert "CTL-HOME" in personas.client("owner_omar").get("/").content.decode()
    with acting(olga, via="test"):
        owners.bulk_assign(actor=olga, kind=owners.CONTROL_TESTS, objects=[test], person=alice)
    alice_home = personas.client("admin_alice").get("/").content.decode()
    assert "CTL-HOME" in alice_home and "assigned to you" in alice_home
    assert "CTL-HOME Quarterly access review</a> — due" not in personas.client("owner_omar").get("/").content.decode()


def test_only_someone_who_may_record_the_test_can_be_assigned(personas: Any) -> None:
    omar, olga = personas["owner_omar"], personas["officer_olga"]
    control = Control.objects.create(ref="CTL-NOT-OMARS", title="Someone else's control")
    test = ControlTest.objects.create(control=control, due_date=timezone.localdate())
    with pytest.raises(ValidationError) as raised:
        owners.bulk_assign(actor=olga, kind=owners.CONTROL_TESTS, objects=[test], person=omar)
    assert "may not record tests of CTL-NOT-OMARS" in raised.value.message_dict["assignee"][0]
    assert ControlTest.objects.get(pk=test.pk).assignee_id is None
