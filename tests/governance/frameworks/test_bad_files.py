"""Bad files are refused whole, with every problem named by line, row or JSON path and field."""

from __future__ import annotations

import copy

import pytest

from access.models import User
from governance.importers import FrameworkImportError
from governance.models import Framework, Requirement
from governance.services.frameworks import import_framework
from tests.governance.frameworks.files import CSV_V1, YAML_V1, YAML_V2, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db


def _issues(actor: User, data: bytes, filename: str, fmt: str | None = None) -> list[str]:
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(actor=actor, data=data, filename=filename, fmt=fmt)
    assert not Framework.objects.exists(), "nothing may be written when the file is refused"
    assert not Requirement.objects.exists()
    return [str(issue) for issue in caught.value.issues]


def test_yaml_errors_are_all_reported_with_lines_and_fields(officer_olga: User) -> None:
    data = b"""framework:
  name: No key here
requirements:
  - ref_id: A
    title: First
  - ref_id: A
    title: Duplicate
  - ref_id: B
    title: ""
  - ref_id: C
    title: Orphan
    parent: NOPE
  - ref_id: D
    title: [not, text]
  - ref_id: E
    title: Bad flag
    is_section: maybe
"""
    issues = _issues(officer_olga, data, "bad.yaml")
    assert "line 2, field 'key': the framework key is missing (a stable identifier)" in issues
    assert "line 6, field 'ref_id': duplicate identifier 'A' (first at line 4)" in issues
    assert "line 9, field 'title': the title is missing" in issues
    assert "line 12, field 'parent': unknown parent 'NOPE'" in issues
    assert "line 14, field 'title': must be text" in issues
    assert "line 17, field 'is_section': must be true or false" in issues


def test_yaml_syntax_error_names_the_line(officer_olga: User) -> None:
    issues = _issues(officer_olga, b"framework:\n  key: x\n  name: [unclosed\nrequirements: []\n", "broken.yaml")
    assert len(issues) == 1
    assert issues[0].startswith("line ")
    assert "not valid YAML" in issues[0]


def test_yaml_aliases_are_refused(officer_olga: User) -> None:
    data = b"framework: {key: a, name: A}\nrequirements:\n  - &r {ref_id: X, title: T}\n  - *r\n"
    issues = _issues(officer_olga, data, "alias.yaml")
    assert any("aliases" in issue for issue in issues)


def test_yaml_that_is_not_a_framework(officer_olga: User) -> None:
    assert _issues(officer_olga, b"- just\n- a list\n", "list.yaml") == [
        "line 1: a framework file is a mapping with 'framework' and 'requirements'"
    ]


def test_parent_loop_is_refused(officer_olga: User) -> None:
    data = b"""framework: {key: loop, name: Loop}
requirements:
  - {ref_id: A, title: A, parent: B}
  - {ref_id: B, title: B, parent: A}
"""
    issues = _issues(officer_olga, data, "loop.yaml")
    assert any("form a loop" in issue and "field 'parent'" in issue for issue in issues)


def test_csv_errors_name_the_row_and_column(officer_olga: User) -> None:
    data = (
        b"framework_key,framework_name,ref_id,parent_ref_id,title,is_section\n"
        b"csv-x,CSV X,R1,,First,no\n"
        b",,R1,,Again,no\n"
        b",,R2,GHOST,Orphan,no\n"
        b",,R3,,,no\n"
        b"other-key,,R4,,Other framework,no\n"
        b",,R5,,Flag,perhaps\n"
    )
    issues = _issues(officer_olga, data, "bad.csv")
    assert "row 3, field 'ref_id': duplicate identifier 'R1' (first at row 2)" in issues
    assert "row 4, field 'parent_ref_id': unknown parent 'GHOST'" in issues
    assert "row 5, field 'title': the title is missing" in issues
    assert "row 6, field 'framework_key': 'other-key' differs from 'csv-x' given in row 2" in issues
    assert "row 7, field 'is_section': 'perhaps' is not yes/no (true/false, 1/0)" in issues


def test_csv_missing_columns(officer_olga: User) -> None:
    issues = _issues(officer_olga, b"ref_id,name\nA,B\n", "cols.csv")
    assert "row 1, field 'framework_key': this column is missing from the header row" in issues
    assert "row 1, field 'title': this column is missing from the header row" in issues
    assert any(issue.startswith("row 1, field 'name': unknown column") for issue in issues)


def test_csv_missing_framework_key(officer_olga: User) -> None:
    data = CSV_V1.replace("csv-baseline", "", 1).encode()
    assert "row 2, field 'key': the framework key is missing (a stable identifier)" in _issues(
        officer_olga, data, "nokey.csv"
    )


def test_oscal_errors_name_the_json_path_and_field(officer_olga: User) -> None:
    catalog = oscal_catalog()
    group = catalog["catalog"]["groups"][0]
    group["controls"].append(copy.deepcopy(group["controls"][0]))  # duplicate id ac-1
    group["controls"].append({"id": 42, "title": "Numeric id"})
    group["controls"].append({"id": "ac-9"})
    del catalog["catalog"]["metadata"]["title"]
    issues = _issues(officer_olga, oscal_bytes(catalog), "catalog.json")
    assert (
        "$.catalog.groups[0].controls[1].id, field 'id': duplicate identifier 'ac-1' "
        "(first at $.catalog.groups[0].controls[0].id)"
    ) in issues
    assert "$.catalog.groups[0].controls[2].id, field 'id': must be a string" in issues
    assert "$.catalog.groups[0].controls[3].title, field 'title': the title is missing" in issues
    assert "$.catalog.metadata.title, field 'name': the framework name is missing" in issues


def test_oscal_wrong_types_in_parts(officer_olga: User) -> None:
    catalog = oscal_catalog()
    catalog["catalog"]["groups"][0]["controls"][0]["parts"] = [{"name": "statement", "prose": 12}, "text"]
    issues = _issues(officer_olga, oscal_bytes(catalog), "catalog.json")
    assert "$.catalog.groups[0].controls[0].parts[0].prose, field 'prose': must be a string" in issues
    assert "$.catalog.groups[0].controls[0].parts[1], field 'parts': must be an object" in issues


def test_json_that_is_not_a_catalog(officer_olga: User) -> None:
    assert _issues(officer_olga, b'{"profile": {}}', "profile.json") == [
        "$.catalog, field 'catalog': not an OSCAL catalog: the top-level 'catalog' object is missing"
    ]


def test_invalid_json_names_line_and_column(officer_olga: User) -> None:
    issues = _issues(officer_olga, b'{\n  "catalog": {,\n}', "broken.json")
    assert issues[0].startswith("line 2, column 15: not valid JSON")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file: the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file: this is a binary file, not a YAML, CSV or JSON text file"),
        (b"framework: caf\xe9\n", "file: the file is not UTF-8 text (bad byte at offset 14)"),
    ],
)
def test_files_that_are_not_text(officer_olga: User, data: bytes, message: str) -> None:
    assert _issues(officer_olga, data, "upload.yaml") == [message]


def test_unknown_format(officer_olga: User) -> None:
    assert _issues(officer_olga, YAML_V1.encode(), "x.yaml", fmt="xml") == [
        "file, field 'format': unknown format 'xml' (use yaml, csv or oscal)"
    ]


def test_a_bad_new_version_leaves_the_old_one_untouched(officer_olga: User) -> None:
    framework = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="v1.yaml").framework
    before = list(Requirement.objects.filter(framework=framework).values_list("ref_id", "text", "removed_at"))
    broken = YAML_V2.replace("title: Offline copy", 'title: ""').encode()
    with pytest.raises(FrameworkImportError):
        import_framework(actor=officer_olga, data=broken, filename="v2.yaml")
    framework.refresh_from_db()
    assert framework.version == "1.0"
    assert list(Requirement.objects.filter(framework=framework).values_list("ref_id", "text", "removed_at")) == before
