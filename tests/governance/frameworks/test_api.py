"""The frameworks and requirements API: reads by role, import, applicability through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from governance.models import Framework, Requirement
from jobs import scheduler
from jobs.models import JobRun
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
    assert row["imported_by"] == "(another user)"  # a Control owner may not see users (issue 10, item 9)
    assert client.get(reverse("framework-detail", args=[baseline.pk])).json()["key"] == "test-baseline"


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil"])
def test_roles_without_view_permission_are_refused(personas: Personas, baseline: Framework, persona: str) -> None:
    client = personas.client(persona)
    assert client.get(reverse("framework-list")).status_code == 403
    assert client.get(reverse("requirement-list")).status_code == 403


def _queue(client: Any, name: str, data: bytes) -> dict[str, Any]:
    response = client.post(reverse("framework-import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 202, response.content
    return dict(response.json())


def test_import_through_the_api_is_queued_and_followed_by_its_run(personas: Personas) -> None:
    client = personas.client("officer_olga")
    queued = _queue(client, "baseline.yaml", YAML_V1.encode())
    run = JobRun.objects.get(pk=queued["id"])
    assert (queued["job_id"], queued["status"], queued["trigger"]) == ("governance.import_framework", "queued", "task")
    assert queued["url"] == f"http://testserver{reverse('jobrun-detail', args=[run.pk])}"
    assert queued["progress_url"] == f"http://testserver{reverse('jobs:task_progress', args=[run.pk])}"
    assert "params" not in queued and "baseline.yaml" not in str(queued), "parameters stay private"
    assert not Framework.objects.exists(), "nothing is imported inside the request"

    scheduler.run_once()

    body = client.get(queued["url"]).json()
    assert body["status"] == "succeeded", body
    assert body["progress"] == {**body["progress"], "phase": "Done", "done": 6, "total": 6, "percent": 100}
    report = body["result"]["report"]
    assert (report["created"], report["framework"], report["framework_created"]) == (6, "test-baseline", True)
    assert report["framework_id"] == Framework.objects.get(key="test-baseline").pk
    assert "params" not in body

    again = _queue(client, "v2.yaml", YAML_V2.encode())
    scheduler.run_once()
    report = client.get(again["url"]).json()["result"]["report"]
    assert (report["created"], report["removed"], report["previous_version"]) == (1, 1, "1.0")


def test_import_errors_through_the_api(personas: Personas) -> None:
    client = personas.client("officer_olga")
    queued = _queue(client, "bad.yaml", b"framework: {name: X}\nrequirements:\n  - {ref_id: A}\n")
    scheduler.run_once()
    body = client.get(queued["url"]).json()
    assert body["status"] == "failed"
    assert body["error"].startswith("The file was not imported")
    issues = body["result"]["issues"]
    assert {"location": "line 1", "field": "key", "message": "the framework key is missing (a stable identifier)"} in (
        issues
    )
    assert {"location": "line 3", "field": "title", "message": "the title is missing"} in issues
    assert not Framework.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"), [({}, "file"), ({"file": ("notes.txt", b"x")}, "file"), ({"file": ("a.yaml", b"")}, "file")]
)
def test_an_unusable_upload_is_refused_at_once_naming_the_field(
    personas: Personas, data: dict[str, Any], field: str
) -> None:
    payload = {name: SimpleUploadedFile(*value) for name, value in data.items()}
    response = personas.client("officer_olga").post(reverse("framework-import"), payload)
    assert response.status_code == 400
    assert any(error["field"] == field for error in response.json()["errors"]), response.json()
    assert not JobRun.objects.exists()


def test_the_requester_may_read_their_run_even_without_the_run_history(personas: Personas) -> None:
    run = JobRun.objects.create(
        job_id="governance.import_framework",
        trigger=JobRun.Trigger.TASK,
        status=JobRun.Status.QUEUED,
        requested_by=personas["employee_emil"],
        params={"file": "secret-name.yaml"},
    )
    url = reverse("jobrun-detail", args=[run.pk])
    mine = personas.client("employee_emil").get(url)
    assert mine.status_code == 200
    assert "secret-name" not in mine.content.decode()
    assert personas.client("owner_omar").get(url).status_code == 404
    assert personas.client("employee_emil").get(reverse("jobrun-list")).status_code == 403


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
    # A framework the caller cannot see (or that does not exist) is a bad value, not an empty list.
    unknown = client.get(url, {"framework": "nope"})
    assert unknown.status_code == 400
    assert "framework" in unknown.json()
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
