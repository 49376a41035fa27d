"""The import page: styled inputs, a link to the format as a page, and the shipped library as a button."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from audits.models import LogEntry
from governance.models import Framework

IMPORT = reverse("governance:framework_import")
FORMAT = reverse("governance:framework_format")
LIBRARY = reverse("governance:framework_load_library")


def test_the_import_page_links_to_the_format_page_and_styles_its_inputs(personas: Any) -> None:
    html = personas.client("officer_olga").get(IMPORT).content.decode()
    assert f'href="{FORMAT}"' in html
    assert "docs/framework-format.md" not in html
    file_input = re.search(r"<input[^>]*type=\"file\"[^>]*>", html)
    select = re.search(r"<select[^>]*name=\"fmt\"[^>]*>", html)
    assert file_input and 'class="form-control' in file_input.group(0)
    assert select and 'class="form-select' in select.group(0)
    assert "Load the shipped library" in html


def test_the_format_page_renders_the_document(personas: Any) -> None:
    response = personas.client("owner_omar").get(FORMAT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Framework files</h1>" in html
    assert "<table>" in html and "<code>ref_id</code>" in html
    assert "<script" not in html.split('data-testid="framework-format"')[1].split("</article>")[0]


def test_the_library_button_imports_the_shipped_baseline_as_the_officer(personas: Any) -> None:
    olga = personas["officer_olga"]
    response = personas.client("officer_olga").post(LIBRARY)
    framework = Framework.objects.get(key="rampart-backoffice-baseline")
    assert response.status_code == 302
    assert response["Location"] == reverse("governance:framework_detail", args=[framework.pk])
    assert framework.imported_by == olga
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Framework), object_pk=str(framework.pk)
    ).latest("sequence")
    assert entry.actor == olga
    detail = personas.client("officer_olga").get(response["Location"]).content.decode()
    assert "requirements in" in detail  # the report, shown as a message


def test_the_library_button_is_for_editors_only(personas: Any) -> None:
    assert personas.client("it_ivan").post(LIBRARY).status_code == 403
    assert not Framework.objects.exists()
    listing = personas.client("it_ivan").get(reverse("governance:framework_list")).content.decode()
    assert "Load the shipped library" not in listing
