"""Re-imports compare versions: an older file is refused unless confirmed; a correction and an unknown order say so."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from auditlog import get_logentry_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from access.models import User
from governance.importers import FrameworkImportError
from governance.importers.versions import compare_versions
from governance.models import Framework, Requirement
from governance.services import frameworks as services
from governance.services.frameworks import import_framework
from jobs import scheduler
from jobs.models import JobRun
from tests.conftest import Personas
from tests.governance.frameworks.files import YAML_V1, YAML_V2, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db

REFUSED = "this file is version 1.0, older than the imported version 2.0"


@pytest.mark.parametrize(
    ("left", "right", "order"),
    [
        ("2013", "2022", -1),
        ("1.9", "1.10", -1),
        ("v2", "v3", -1),
        ("V3", "v2", 1),
        ("Rev 4", "rev. 5", -1),
        ("1.0", "1.0.1", -1),
        ("2.0", "2", 0),
        ("5.1", "5.1", 0),
        ("2022-10", "2022-9", 1),
        ("2022", "v2", None),  # a number against a word
        ("1.0", "1.0-beta", None),  # an extra word: a pre-release or a variant, who knows
        ("draft", "final", None),
        ("", "1.0", None),
        ("1.0", "", None),
    ],
)
def test_natural_order_of_versions(left: str, right: str, order: int | None) -> None:
    assert compare_versions(left, right) == order


def _v(text: str, version: str) -> bytes:
    return (
        text.replace('version: "2.0"', f'version: "{version}"')
        .replace('version: "1.0"', f'version: "{version}"')
        .encode()
    )


def _summary_entry(framework: Framework) -> Any:
    entries = get_logentry_model().objects.filter(object_pk=str(framework.pk)).order_by("-sequence")
    return next(e for e in entries if "import" in (e.additional_data or {}))


def test_an_older_version_is_refused_naming_the_version_field_and_nothing_changes(
    officer_olga: User, baseline: Framework
) -> None:
    import_framework(actor=officer_olga, data=YAML_V2.encode(), filename="v2.yaml")
    before = list(Requirement.objects.order_by("pk").values_list("ref_id", "text", "removed_at"))
    log_count = get_logentry_model().objects.count()

    with pytest.raises(FrameworkImportError) as caught:
        import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="v1.yaml")

    [issue] = caught.value.issues
    assert (issue.location, issue.field) == ("line 4", "version")
    assert issue.message.startswith(REFUSED)
    assert "--allow-older" in issue.message
    baseline.refresh_from_db()
    assert baseline.version == "2.0"
    assert list(Requirement.objects.order_by("pk").values_list("ref_id", "text", "removed_at")) == before
    assert get_logentry_model().objects.count() == log_count


def test_an_older_version_is_imported_when_confirmed_and_the_trail_says_so(
    officer_olga: User, baseline: Framework
) -> None:
    import_framework(actor=officer_olga, data=YAML_V2.encode(), filename="v2.yaml")

    report = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="v1.yaml", allow_older=True)

    assert (report.version_order, report.restored, report.removed) == ("older", 1, 1)
    assert "Version 1.0 is older than the imported version 2.0: imported as confirmed." in report.summary()
    entry = _summary_entry(baseline)
    assert entry.additional_data["import"]["version_order"] == "older"
    assert "older than the imported version 2.0" in entry.changes_text
    assert entry.changes["version"] == ["2.0", "1.0"]


def test_a_newer_version_says_nothing_more(officer_olga: User, baseline: Framework) -> None:
    report = import_framework(actor=officer_olga, data=YAML_V2.encode(), filename="v2.yaml")
    assert (report.version_order, report.version_note()) == ("newer", "")
    assert report.summary().endswith("1 removed, 0 restored.")


def test_the_same_version_with_changed_content_is_a_correction(officer_olga: User, baseline: Framework) -> None:
    unchanged = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="v1.yaml")
    assert (unchanged.version_order, unchanged.version_note()) == ("same", "")

    corrected = YAML_V1.replace("Access is reviewed twice a year.", "Access is reviewed every quarter.")
    report = import_framework(actor=officer_olga, data=corrected.encode(), filename="v1.yaml")

    assert (report.version_order, report.updated) == ("same", 1)
    assert "Same version 1.0 as before, with changed content: imported as a correction." in report.summary()
    assert "imported as a correction" in _summary_entry(baseline).changes_text
    assert Requirement.objects.get(framework=baseline, ref_id="AC-2").text == "Access is reviewed every quarter."


def test_versions_of_unknown_order_are_imported_with_a_note(officer_olga: User, baseline: Framework) -> None:
    report = import_framework(actor=officer_olga, data=_v(YAML_V2, "draft-B"), filename="v2.yaml")

    assert report.version_order == "unknown"
    assert report.framework.version == "draft-B"
    note = "The order of version draft-B and the imported version 1.0 cannot be told; imported as given."
    assert note in report.summary()
    entry = _summary_entry(baseline)
    assert entry.additional_data["import"]["version_note"] == note
    assert entry.changes["version order"] == [None, note]


def test_an_older_oscal_catalog_names_the_json_path_of_its_version(officer_olga: User) -> None:
    import_framework(actor=officer_olga, data=oscal_bytes(oscal_catalog()), filename="c.json")
    older = oscal_catalog()
    older["catalog"]["metadata"]["version"] = "5.0.9"
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(actor=officer_olga, data=oscal_bytes(older), filename="c.json")
    [issue] = caught.value.issues
    assert (issue.location, issue.field) == ("$.catalog.metadata.version", "version")
    assert "version 5.0.9, older than the imported version 5.1" in issue.message


# --- The command ---


def _command(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_framework", *argv, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        err.write(str(exc))
    return code, out.getvalue(), err.getvalue()


def test_the_command_refuses_an_older_file_unless_allow_older(
    tmp_path: Path, officer_olga: User, baseline: Framework
) -> None:
    import_framework(actor=officer_olga, data=YAML_V2.encode(), filename="v2.yaml")
    path = tmp_path / "v1.yaml"
    path.write_text(YAML_V1)

    code, _, err = _command(str(path), "--actor", officer_olga.email)
    assert code == 1
    assert f"v1.yaml: line 4, field 'version': {REFUSED}" in err
    assert "nothing was changed" in err
    baseline.refresh_from_db()
    assert baseline.version == "2.0"

    code, out, _ = _command(str(path), "--actor", officer_olga.email, "--allow-older")
    assert code == 0
    assert "Re-imported Test baseline 1.0" in out and "imported as confirmed" in out
    baseline.refresh_from_db()
    assert baseline.version == "1.0"


def test_the_library_is_refused_over_a_newer_version_and_skipped_by_the_seed(officer_olga: User) -> None:
    services.import_library(actor=officer_olga)
    framework = Framework.objects.get(key="rampart-backoffice-baseline")
    Framework.objects.filter(pk=framework.pk).update(version="9.0")

    assert services.import_library(actor=officer_olga, only_new=True) == []
    with pytest.raises(FrameworkImportError, match=r"older than the imported version 9\.0"):
        services.import_library(actor=officer_olga)
    [report] = services.import_library(actor=officer_olga, allow_older=True)
    assert report.version_order == "older"


# --- The upload page and the API ---


def _run_upload(client: Any, url: str, data: dict[str, Any]) -> JobRun:
    response = client.post(url, data)
    assert response.status_code in (202, 302), response.content[:2000]
    scheduler.run_once()
    return JobRun.objects.order_by("-pk").first()  # type: ignore[return-value]


def test_the_upload_page_refuses_an_older_file_unless_the_box_is_ticked(
    personas: Personas, baseline: Framework
) -> None:
    import_framework(actor=personas["officer_olga"], data=YAML_V2.encode(), filename="v2.yaml")
    client = personas.client("officer_olga")
    url = reverse("governance:framework_import")
    form = client.get(url).content.decode()
    assert 'name="allow_older"' in form and "Replace a newer version" in form

    run = _run_upload(client, url, {"file": SimpleUploadedFile("v1.yaml", YAML_V1.encode())})
    assert run.status == JobRun.Status.FAILED
    assert run.result["issues"][0]["field"] == "version"
    page = client.get(reverse("jobs:task_progress", kwargs={"run_id": run.pk})).content.decode()
    assert REFUSED in page and "nothing was changed" in page
    baseline.refresh_from_db()
    assert baseline.version == "2.0"

    upload = SimpleUploadedFile("v1.yaml", YAML_V1.encode())
    run = _run_upload(client, url, {"file": upload, "allow_older": "on"})
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.result["report"]["version_order"] == "older"
    page = client.get(reverse("jobs:task_progress", kwargs={"run_id": run.pk})).content.decode()
    assert "imported as confirmed" in page
    baseline.refresh_from_db()
    assert baseline.version == "1.0"


def test_the_api_refuses_an_older_file_unless_allow_older(personas: Personas, baseline: Framework) -> None:
    import_framework(actor=personas["officer_olga"], data=YAML_V2.encode(), filename="v2.yaml")
    client = personas.client("officer_olga")
    url = reverse("framework-import")

    run = _run_upload(client, url, {"file": SimpleUploadedFile("v1.yaml", YAML_V1.encode())})
    body = client.get(reverse("jobrun-detail", args=[run.pk])).json()
    assert body["status"] == "failed"
    [issue] = body["result"]["issues"]
    assert (issue["location"], issue["field"]) == ("line 4", "version")
    assert issue["message"].startswith(REFUSED)

    run = _run_upload(client, url, {"file": SimpleUploadedFile("v1.yaml", YAML_V1.encode()), "allow_older": "true"})
    body = client.get(reverse("jobrun-detail", args=[run.pk])).json()
    assert body["status"] == "succeeded", body
    assert body["result"]["report"]["version_order"] == "older"
    baseline.refresh_from_db()
    assert baseline.version == "1.0"


def test_the_api_refuses_a_confirmation_that_is_not_a_boolean(personas: Personas) -> None:
    upload = SimpleUploadedFile("v1.yaml", YAML_V1.encode())
    response = personas.client("officer_olga").post(
        reverse("framework-import"), {"file": upload, "allow_older": "maybe"}
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["allow_older"]
    assert not JobRun.objects.exists()
