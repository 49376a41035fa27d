"""The frameworks and requirements API: reads by role, import, applicability through the service."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from governance.models import Framework, Requirement
from tests.conftest import Personas
from tests.governance.frameworks.files import YAML_V1, YAML_V2

pytestmark = pytest.mark.django_db


def test_framework_list_and_detail(personas: Personas, baseline: Framework) -> None:
    client = personas.client("owner_omar")
    body = client.get(reverse("framework-list")).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["key"], row["version"], row["requirement_count"], row["applicable_count"]) == (
        "test-baseline",
        "1.0",
        4,
        4,
    )
    assert row["imported_by"] == "officer_olga@example.test"
    assert client.get(reverse("framework-detail", args=[baseline.pk])).json()["key"] == "test-baseline"


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil"])
def test_roles_without_view_permission_are_refused(personas: Personas, baseline: Framework, persona: str) -> None:
    client = personas.client(persona)
    assert client.get(reverse("framework-list")).status_code == 403
    assert client.get(reverse("requirement-list")).status_code == 403


def test_import_through_the_api(personas: Personas) -> None:
    client = personas.client("officer_olga")
    upload = SimpleUploadedFile("baseline.yaml", YAML_V1.encode())
    response = client.post(reverse("framework-import"), {"file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["created"], body["framework"]["key"], body["framework_created"]) == (6, "test-baseline", True)
    again = client.post(reverse("framework-import"), {"file": SimpleUploadedFile("v2.yaml", YAML_V2.encode())})
    assert (again.json()["created"], again.json()["removed"], again.json()["previous_version"]) == (1, 1, "1.0")


def test_import_errors_through_the_api(personas: Personas) -> None:
    upload = SimpleUploadedFile("bad.yaml", b"framework: {name: X}\nrequirements:\n  - {ref_id: A}\n")
    response = personas.client("officer_olga").post(reverse("framework-import"), {"file": upload})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"location": "line 1", "field": "key", "message": "the framework key is missing (a stable identifier)"} in (
        errors
    )
    assert {"location": "line 3", "field": "title", "message": "the title is missing"} in errors
    assert not Framework.objects.exists()


def test_employee_cannot_import_through_the_api(personas: Personas) -> None:
    upload = SimpleUploadedFile("baseline.yaml", YAML_V1.encode())
    assert personas.client("employee_emil").post(reverse("framework-import"), {"file": upload}).status_code == 403
    assert personas.client("owner_omar").post(reverse("framework-import"), {"file": upload}).status_code == 403
    assert not Framework.objects.exists()


def test_requirement_filters(personas: Personas, baseline: Framework) -> None:
    officer = personas["officer_olga"]
    from governance.services.frameworks import import_framework, set_requirement_applicability

    set_requirement_applicability(
        actor=officer, requirement=Requirement.objects.get(ref_id="BK-2"), applicable=False, justification="No"
    )
    import_framework(actor=officer, data=YAML_V2.encode(), filename="v2.yaml")
    client = personas.client("it_ivan")
    url = reverse("requirement-list")

    def refs(**params: str) -> list[str]:
        response = client.get(url, params)
        assert response.status_code == 200, response.content
        return [r["ref_id"] for r in response.json()["results"]]

    assert refs(framework="test-baseline") == ["AC", "AC-1", "AC-2", "BK", "BK-1", "BK-2", "BK-3"]
    assert refs(applicable="false") == ["BK-2"]
    assert refs(removed="true") == ["AC-2"]
    assert refs(q="offline") == ["BK-3"]
    assert refs(framework="nope") == []
    bad = client.get(url, {"applicable": "perhaps"})
    assert bad.status_code == 400
    assert "applicable" in bad.json()


def test_patch_applicability_through_the_service(personas: Personas, baseline: Framework) -> None:
    requirement = Requirement.objects.get(ref_id="AC-2")
    url = reverse("requirement-detail", args=[requirement.pk])
    client = personas.client("officer_olga")
    refused = client.patch(url, {"applicable": False}, content_type="application/json")
    assert refused.status_code == 400
    assert "justification" in refused.json()
    done = client.patch(url, {"applicable": False, "justification": "Tiny team"}, content_type="application/json")
    assert done.status_code == 200
    assert (done.json()["applicable"], done.json()["justification"]) == (False, "Tiny team")
    requirement.refresh_from_db()
    assert not requirement.applicable


def test_control_owner_reads_but_cannot_patch(personas: Personas, baseline: Framework) -> None:
    requirement = Requirement.objects.get(ref_id="AC-2")
    client = personas.client("owner_omar")
    url = reverse("requirement-detail", args=[requirement.pk])
    assert client.get(url).status_code == 200
    response = client.patch(url, {"applicable": False, "justification": "x"}, content_type="application/json")
    assert response.status_code == 403
    requirement.refresh_from_db()
    assert requirement.applicable


def test_put_is_not_offered(personas: Personas, baseline: Framework) -> None:
    requirement = Requirement.objects.get(ref_id="AC-2")
    url = reverse("requirement-detail", args=[requirement.pk])
    response = personas.client("officer_olga").put(url, {"applicable": True}, content_type="application/json")
    assert response.status_code == 405
