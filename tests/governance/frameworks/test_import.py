"""Imports of YAML, CSV and OSCAL files into frameworks and requirement trees."""

from __future__ import annotations

import pytest
from auditlog import get_logentry_model
from django.contrib.contenttypes.models import ContentType

from access.models import User
from core.actor import acting
from core.errors import PermissionDeniedError
from governance.models import Control, Framework, Requirement
from governance.services.frameworks import import_framework
from tests.governance.frameworks.files import CSV_V1, YAML_V1, YAML_V2, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db


def _tree(framework: Framework) -> list[tuple[str, str | None, int, bool]]:
    rows = Requirement.objects.filter(framework=framework).select_related("parent").order_by("order")
    return [(r.ref_id, r.parent.ref_id if r.parent else None, r.depth, r.is_section) for r in rows]


def test_yaml_import_builds_the_tree(officer_olga: User) -> None:
    report = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml")
    framework = report.framework
    assert (framework.key, framework.name, framework.version, framework.source) == (
        "test-baseline",
        "Test baseline",
        "1.0",
        Framework.Source.YAML,
    )
    assert framework.imported_by == officer_olga
    assert (report.created, report.updated, report.unchanged, report.removed) == (6, 0, 0, 0)
    assert _tree(framework) == [
        ("AC", None, 0, True),
        ("AC-1", "AC", 1, False),
        ("AC-2", "AC", 1, False),
        ("BK", None, 0, True),
        ("BK-1", "BK", 1, False),
        ("BK-2", "BK", 1, False),
    ]
    bk1 = Requirement.objects.get(framework=framework, ref_id="BK-1")
    assert (bk1.reference, bk1.text) == ("B.1", "Critical data is backed up every day.")
    assert Requirement.objects.get(ref_id="AC-1").guidance == "Shared accounts are kept in the vault."


def test_yaml_flat_list_with_parent_fields(officer_olga: User) -> None:
    data = b"""framework: {key: flat, name: Flat}
requirements:
  - {ref_id: C1, title: Child one, parent: P}
  - {ref_id: P, title: Parent, is_section: true}
"""
    framework = import_framework(actor=officer_olga, data=data, filename="flat.yml").framework
    # The tree is ordered parent first, whatever the order in the file.
    assert _tree(framework) == [("P", None, 0, True), ("C1", "P", 1, False)]


def test_csv_import(officer_olga: User) -> None:
    report = import_framework(actor=officer_olga, data=CSV_V1.encode(), filename="baseline.csv")
    framework = report.framework
    assert (framework.key, framework.name, framework.version, framework.source) == (
        "csv-baseline",
        "CSV baseline",
        "2024",
        Framework.Source.CSV,
    )
    assert report.created == 5
    assert _tree(framework) == [
        ("S1", None, 0, True),
        ("S1.1", "S1", 1, False),
        ("S1.2", "S1", 1, False),
        ("S2", None, 0, True),
        ("S2.1", "S2", 1, False),
    ]
    assert Requirement.objects.get(ref_id="S1.1").text == "A policy, approved by management."


def test_csv_with_byte_order_mark_and_detection_by_content(officer_olga: User) -> None:
    report = import_framework(actor=officer_olga, data=b"\xef\xbb\xbf" + CSV_V1.encode(), filename="upload")
    assert report.fmt == "csv"
    assert report.created == 5


def test_oscal_import_groups_controls_enhancements_params_parts(officer_olga: User) -> None:
    report = import_framework(actor=officer_olga, data=oscal_bytes(oscal_catalog()), filename="catalog.json")
    framework = report.framework
    assert (framework.key, framework.name, framework.version, framework.source) == (
        "test-oscal-catalog",
        "Test OSCAL Catalog",
        "5.1",
        Framework.Source.OSCAL,
    )
    assert framework.description == "Made for the tests."
    assert _tree(framework) == [
        ("ac", None, 0, True),
        ("ac-sub", "ac", 1, True),
        ("ac-2", "ac-sub", 2, False),
        ("ac-2.1", "ac-2", 3, False),
        ("ac-2.1.1", "ac-2.1", 4, False),
        ("ac-1", "ac", 1, False),
    ]
    ac2 = Requirement.objects.get(framework=framework, ref_id="ac-2")
    assert ac2.reference == "AC-2"
    assert ac2.title == "Account Management"
    # Statement items with their labels, parameters written out where they are inserted.
    assert "a. Review accounts every [Assignment: time period];" in ac2.text
    assert "b. [Selection (one or more): disable; remove] unused accounts." in ac2.text
    assert "Guidance:" in ac2.guidance
    assert "Account types include individual and shared accounts." in ac2.guidance
    assert "ac-2_prm_1: Assignment: time period" in ac2.guidance
    assert "Class: SP800-53" in ac2.guidance
    enhancement = Requirement.objects.get(framework=framework, ref_id="ac-2.1")
    assert enhancement.reference == "AC-2(1)"
    assert enhancement.text == "Support account management with automated tools."
    assert "Class: SP800-53-enhancement" in enhancement.guidance


def test_oscal_reference_sample_catalog_imports(officer_olga: User) -> None:
    with open("/work/shared/reference/oscal-basic-catalog.json", "rb") as handle:
        data = handle.read()
    report = import_framework(actor=officer_olga, data=data, filename="basic.json")
    assert report.created == 8
    control = Requirement.objects.get(framework=report.framework, ref_id="s1.1.1")
    assert control.reference == "1.1.1"
    assert control.text.startswith("All information security responsibilities should be defined")


def test_oscal_key_prop_and_explicit_key(officer_olga: User) -> None:
    catalog = oscal_catalog()
    catalog["catalog"]["metadata"]["props"] = [{"name": "rampart-key", "value": "nist-test"}]
    assert import_framework(actor=officer_olga, data=oscal_bytes(catalog), filename="c.json").framework.key == (
        "nist-test"
    )
    other = import_framework(
        actor=officer_olga, data=oscal_bytes(oscal_catalog()), filename="c.json", framework_key="chosen-key"
    )
    assert other.framework.key == "chosen-key"


def test_reimport_updates_by_identifier_and_marks_removed(officer_olga: User, owner_omar: User) -> None:
    first = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="v1.yaml")
    framework = first.framework
    ac2 = Requirement.objects.get(framework=framework, ref_id="AC-2")
    ac1_pk = Requirement.objects.get(framework=framework, ref_id="AC-1").pk
    control = Control.objects.create(ref="CTL-1", title="Access reviews", owner=owner_omar)
    control.requirements.add(ac2)
    # An applicability decision taken between the versions.
    bk2 = Requirement.objects.get(framework=framework, ref_id="BK-2")
    bk2.applicable, bk2.justification = False, "No restore site"
    bk2.save()

    report = import_framework(actor=officer_olga, data=YAML_V2.encode(), filename="v2.yaml")

    assert report.framework.pk == framework.pk
    assert (report.created, report.updated, report.unchanged, report.removed) == (1, 1, 4, 1)
    framework.refresh_from_db()
    assert framework.version == "2.0"
    ac1 = Requirement.objects.get(framework=framework, ref_id="AC-1")
    assert ac1.pk == ac1_pk
    assert ac1.text == "Every person signs in with an account of their own, with MFA."
    assert Requirement.objects.get(framework=framework, ref_id="BK-3").parent.ref_id == "BK"  # type: ignore[union-attr]
    ac2.refresh_from_db()
    assert ac2.removed_at is not None  # marked, not deleted
    assert list(control.requirements.all()) == [ac2]  # the control stays mapped
    bk2.refresh_from_db()
    assert (bk2.applicable, bk2.justification) == (False, "No restore site")
    assert Requirement.objects.filter(framework=framework).count() == 7
    # The removed requirement keeps its place in the tree, after its former siblings.
    assert [ref for ref, *_ in _tree(framework)] == ["AC", "AC-1", "AC-2", "BK", "BK-1", "BK-2", "BK-3"]

    # Back to version 1, confirmed (an older version): AC-2 returns (restored), BK-3 goes.
    again = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="v1.yaml", allow_older=True)
    assert (again.created, again.removed, again.restored) == (0, 1, 1)
    ac2.refresh_from_db()
    assert ac2.removed_at is None
    assert Requirement.objects.get(framework=framework, ref_id="BK-3").removed_at is not None


def test_reimport_of_the_same_file_changes_nothing(officer_olga: User, baseline: Framework) -> None:
    report = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml")
    assert (report.created, report.updated, report.unchanged, report.removed) == (0, 0, 6, 0)


def test_import_writes_an_audit_trail_entry_naming_the_actor(officer_olga: User) -> None:
    log_entry = get_logentry_model()
    with acting(officer_olga, via="test"):
        report = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml")
    content_type = ContentType.objects.get_for_model(Framework)
    entries = log_entry.objects.filter(content_type=content_type, object_pk=str(report.framework.pk))
    summary = [e for e in entries if "import" in (e.additional_data or {})]
    assert len(summary) == 1
    entry = summary[0]
    assert entry.actor == officer_olga
    assert entry.additional_data["import"]["created"] == 6
    assert entry.additional_data["via"] == "test"  # the context's own extra data is kept
    assert entry.changes["entries created"] == [None, 6]
    assert entry.changes["size"] == [None, "4 requirements in 2 sections"]
    # The framework's own creation is in the trail too, by the same actor.
    assert entries.filter(action=log_entry.Action.CREATE, actor=officer_olga).exists()


def test_summary_entry_names_the_actor_outside_any_context(officer_olga: User) -> None:
    report = import_framework(actor=officer_olga, data=YAML_V1.encode(), filename="baseline.yaml")
    entry = get_logentry_model().objects.filter(object_pk=str(report.framework.pk)).order_by("-sequence").first()
    assert entry is not None
    assert entry.actor == officer_olga
    assert entry.additional_data == {"import": report.as_dict()}


@pytest.mark.parametrize("persona", ["employee_emil", "owner_omar", "it_ivan", "auditor_aude"])
def test_only_editors_may_import(personas: object, persona: str) -> None:
    user = personas[persona]  # type: ignore[index]
    with pytest.raises(PermissionDeniedError):
        import_framework(actor=user, data=YAML_V1.encode(), filename="baseline.yaml")
    assert not Framework.objects.exists()


@pytest.mark.slow
def test_ten_thousand_requirements_import_in_bulk(officer_olga: User, django_assert_max_num_queries: object) -> None:
    lines = ["framework: {key: big, name: Big}", "requirements:"]
    for s in range(100):
        lines.append(f"  - ref_id: S{s}\n    title: Section {s}\n    children:")
        lines.extend(f"      - {{ref_id: S{s}.{r}, title: Requirement {r}}}" for r in range(99))
    data = "\n".join(lines).encode()
    with django_assert_max_num_queries(400):  # type: ignore[operator]
        report = import_framework(actor=officer_olga, data=data, filename="big.yaml")
    assert report.created == 10_000
    assert Requirement.objects.filter(framework=report.framework, parent__isnull=False).count() == 9_900


@pytest.mark.parametrize(("fence", "filename"), [("yaml", "doc.yaml"), ("csv", "doc.csv")])
def test_the_documented_examples_import(officer_olga: User, fence: str, filename: str) -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[3] / "docs" / "framework-format.md").read_text()
    match = re.search(rf"```{fence}\n(.*?)```", doc, re.S)
    assert match is not None
    report = import_framework(actor=officer_olga, data=match.group(1).encode(), filename=filename)
    assert report.framework.key == "acme-baseline"
    assert report.created >= 3
