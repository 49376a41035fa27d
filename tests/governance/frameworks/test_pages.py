"""Framework and requirement pages: lists, tree, detail, upload, applicability, bulk change."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from governance.models import Control, Framework, Requirement
from governance.services.frameworks import import_framework
from jobs import scheduler
from jobs.models import JobRun
from tests.conftest import Personas
from tests.governance.frameworks.files import CSV_V1, YAML_V1, YAML_V2, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db


def _csv(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_framework_list_search_and_export(personas: Personas, baseline: Framework) -> None:
    import_framework(actor=personas["officer_olga"], data=CSV_V1.encode(), filename="b.csv")
    client = personas.client("owner_omar")
    page = client.get(reverse("governance:framework_list"), {"q": "csv"})
    assert page.status_code == 200
    assert b"CSV baseline" in page.content
    assert b"Test baseline" not in page.content
    rows = _csv(client.get(reverse("governance:framework_export"), {"sort": "-name"}))
    assert [r["key"] for r in rows] == ["test-baseline", "csv-baseline"]
    assert rows[0]["requirements"] == "4"  # sections not counted


def test_framework_list_empty_state_says_what_to_do(personas: Personas) -> None:
    page = personas.client("officer_olga").get(reverse("governance:framework_list"))
    assert b"No framework yet" in page.content
    assert reverse("governance:framework_import").encode() in page.content


def test_framework_detail_shows_the_tree_with_removed_struck_through(personas: Personas, baseline: Framework) -> None:
    import_framework(actor=personas["officer_olga"], data=YAML_V2.encode(), filename="v2.yaml")
    page = personas.client("it_ivan").get(reverse("governance:framework_detail", args=[baseline.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    removed = Requirement.objects.get(framework=baseline, ref_id="AC-2")
    assert f'<del><a href="{reverse("governance:requirement_detail", args=[removed.pk])}">' in content
    assert f"removed {date_format(timezone.localtime(removed.removed_at))}" in content  # "removed 7 Dec 2026"
    assert content.index("AC-1") < content.index("BK-3")


def test_unknown_framework_is_404(personas: Personas) -> None:
    assert personas.client("officer_olga").get(reverse("governance:framework_detail", args=[999])).status_code == 404


def test_requirement_list_search_filters_and_export(personas: Personas, baseline: Framework) -> None:
    officer = personas["officer_olga"]
    import_framework(actor=officer, data=CSV_V1.encode(), filename="b.csv")
    control = Control.objects.create(ref="CTL-1", title="Reviews")
    control.requirements.add(Requirement.objects.get(ref_id="AC-2"))
    client = personas.client("officer_olga")
    url = reverse("governance:requirement_list")
    assert b"AC-2" in client.get(url, {"q": "twice a year"}).content  # text search
    by_framework = client.get(url, {"framework": "csv-baseline", "kind": "requirement"})
    assert b"S1.1" in by_framework.content and b"AC-1" not in by_framework.content
    with_controls = client.get(url, {"controls": "yes"}).content.decode()
    assert "AC-2" in with_controls and "AC-1" not in with_controls
    rows = _csv(client.get(reverse("governance:requirement_export"), {"framework": "test-baseline"}))
    assert [r["ref_id"] for r in rows] == ["AC", "AC-1", "AC-2", "BK", "BK-1", "BK-2"]
    assert rows[2]["controls"] == "1"
    assert rows[1]["parent_ref_id"] == "AC"


def test_requirement_list_removed_filter(personas: Personas, baseline: Framework) -> None:
    import_framework(actor=personas["officer_olga"], data=YAML_V2.encode(), filename="v2.yaml")
    rows = _csv(personas.client("officer_olga").get(reverse("governance:requirement_export"), {"removed": "yes"}))
    assert [r["ref_id"] for r in rows] == ["AC-2"]


def test_requirement_detail_lists_controls_the_user_may_see(personas: Personas, baseline: Framework) -> None:
    from governance.scoping import hand_over_object_perms

    omar = personas["owner_omar"]
    requirement = Requirement.objects.get(ref_id="AC-1")
    mine = Control.objects.create(ref="CTL-MINE", title="Mine", owner=omar)
    hand_over_object_perms(obj=mine, previous=None, new=omar)
    other = Control.objects.create(ref="CTL-OTHER", title="Someone else's")
    for control in (mine, other):
        control.requirements.add(requirement)
    url = reverse("governance:requirement_detail", args=[requirement.pk])
    as_omar = personas.client("owner_omar").get(url).content.decode()
    assert "CTL-MINE" in as_omar and "CTL-OTHER" not in as_omar
    assert "Save applicability" not in as_omar  # view only
    as_olga = personas.client("officer_olga").get(url).content.decode()
    assert "CTL-MINE" in as_olga and "CTL-OTHER" in as_olga
    assert "Save applicability" in as_olga


def _import_through_the_page(client: Any, upload: SimpleUploadedFile) -> str:
    """Upload, let the scheduler run the queued import, and return the progress page."""
    response = client.post(reverse("governance:framework_import"), {"file": upload})
    assert response.status_code == 302, response.content[:2000]
    scheduler.run_once()
    page = client.get(response["Location"])
    assert page.status_code == 200
    return str(page.content.decode())


def test_upload_page_imports_and_shows_the_report(personas: Personas) -> None:
    upload = SimpleUploadedFile("catalog.json", oscal_bytes(oscal_catalog()), content_type="application/json")
    page = _import_through_the_page(personas.client("officer_olga"), upload)
    assert "6 created" in page
    assert Framework.objects.get().source == Framework.Source.OSCAL


def test_upload_page_lists_every_error_and_writes_nothing(personas: Personas) -> None:
    data = b"framework: {key: bad, name: Bad}\nrequirements:\n  - {ref_id: A, title: ''}\n  - {ref_id: A, title: B}\n"
    content = _import_through_the_page(personas.client("officer_olga"), SimpleUploadedFile("bad.yaml", data))
    assert "nothing was changed" in content
    assert "line 3" in content and "title" in content and "the title is missing" in content
    assert "duplicate identifier" in content
    assert not Framework.objects.exists()


@pytest.mark.parametrize("data", [b"\x89PNG\x00\x00binary", b"", b"{not json", b"a,b\n1,2\n"])
def test_upload_of_garbage_is_a_clear_error_never_a_500(personas: Personas, data: bytes) -> None:
    upload = SimpleUploadedFile("garbage.bin", data)
    page = personas.client("officer_olga").post(reverse("governance:framework_import"), {"file": upload})
    assert page.status_code == 400
    assert b"does not say its format" in page.content or b"empty" in page.content
    assert not JobRun.objects.exists()


def test_employee_cannot_import(personas: Personas) -> None:
    upload = SimpleUploadedFile("baseline.yaml", YAML_V1.encode())
    page = personas.client("employee_emil").post(reverse("governance:framework_import"), {"file": upload})
    assert page.status_code == 403
    assert not Framework.objects.exists()


def test_control_owner_cannot_import_or_change_applicability(personas: Personas, baseline: Framework) -> None:
    client = personas.client("owner_omar")
    upload = SimpleUploadedFile("baseline.yaml", YAML_V1.encode())
    assert client.post(reverse("governance:framework_import"), {"file": upload}).status_code == 403
    requirement = Requirement.objects.get(ref_id="AC-1")
    url = reverse("governance:requirement_applicability", args=[requirement.pk])
    assert client.post(url, {"applicable": "no", "justification": "x"}).status_code == 403
    requirement.refresh_from_db()
    assert requirement.applicable


def test_applicability_page_requires_a_justification(personas: Personas, baseline: Framework) -> None:
    requirement = Requirement.objects.get(ref_id="BK-2")
    url = reverse("governance:requirement_applicability", args=[requirement.pk])
    client = personas.client("officer_olga")
    page = client.post(url, {"applicable": "no", "justification": "  "})
    assert page.status_code == 400
    assert b"Say why this requirement does not apply." in page.content
    requirement.refresh_from_db()
    assert requirement.applicable
    done = client.post(url, {"applicable": "no", "justification": "No restore site"})
    assert done.status_code == 302
    requirement.refresh_from_db()
    assert (requirement.applicable, requirement.justification) == (False, "No restore site")


def test_bulk_applicability(personas: Personas, baseline: Framework) -> None:
    client = personas.client("officer_olga")
    ids = list(Requirement.objects.filter(ref_id__in=["BK-1", "BK-2"]).values_list("pk", flat=True))
    url = reverse("governance:requirement_bulk_applicability")
    refused = client.post(url, {"ids": ids, "applicable": "no", "justification": ""}, follow=True)
    assert b"Say why this requirement does not apply." in refused.content
    assert Requirement.objects.filter(applicable=False).count() == 0
    done = client.post(
        url, {"ids": ids, "applicable": "no", "justification": "Backups outsourced", "return_query": "q=BK"}
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("governance:requirement_list") + "?q=BK"
    assert set(Requirement.objects.filter(applicable=False).values_list("ref_id", "justification")) == {
        ("BK-1", "Backups outsourced"),
        ("BK-2", "Backups outsourced"),
    }


def test_bulk_applicability_is_refused_to_control_owners(personas: Personas, baseline: Framework) -> None:
    ids = list(Requirement.objects.values_list("pk", flat=True))
    url = reverse("governance:requirement_bulk_applicability")
    response = personas.client("owner_omar").post(url, {"ids": ids, "applicable": "no", "justification": "x"})
    assert response.status_code == 403
    assert not Requirement.objects.filter(applicable=False).exists()
