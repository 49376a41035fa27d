"""A ``status: withdrawn`` requirement in Rampart YAML and CSV takes the same path as a withdrawn OSCAL control."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from access.models import User
from governance.importers import FrameworkImportError
from governance.models import Control, Framework, Requirement
from governance.selectors import controls as control_selectors
from governance.selectors import frameworks as framework_selectors
from governance.services.frameworks import import_framework
from governance.services.import_report import ImportReport

pytestmark = pytest.mark.django_db

LIVE = {"R-1", "R-3"}


def yaml_file(status: str = "Withdrawn", version: str = "1.0", replaced_by: str = "R-3") -> bytes:
    """Section S with R-1, R-2 (status given) and R-3; R-2's status is on line 12, replaced_by on 15."""
    lines = [
        "framework:",
        "  key: wd-yaml",
        "  name: Withdrawn YAML",
        f'  version: "{version}"',
        "requirements:",
        "  - ref_id: S",
        "    title: Section",
        "    children:",
        "      - {ref_id: R-1, title: One, text: First.}",
        "      - ref_id: R-2",
        "        title: Two",
        f"        status: {status}",
        "        text: Second, kept for history.",
        "        guidance: Own notes.",
        *([f"        replaced_by: {replaced_by}"] if replaced_by else []),
        "      - {ref_id: R-3, title: Three, text: Third.}",
    ]
    return "\n".join(lines).encode()


def csv_file(status: str = "WITHDRAWN", version: str = "1.0", replaced_by: str = "R-3") -> bytes:
    """The same framework as CSV; R-2 is on row 4."""
    return (
        "framework_key,framework_name,framework_version,ref_id,parent_ref_id,title,text,guidance,is_section,status,replaced_by\n"
        f"wd-csv,Withdrawn CSV,{version},S,,Section,,,yes,,\n"
        ",,,R-1,S,One,First.,,no,active,\n"
        f',,,R-2,S,Two,"Second, kept for history.",Own notes.,no,{status},{replaced_by}\n'
        ",,,R-3,S,Three,Third.,,no,,\n"
    ).encode()


def _yaml(user: User, **kwargs: str) -> ImportReport:
    return import_framework(actor=user, data=yaml_file(**kwargs), filename="wd.yaml")


def _csv(user: User, **kwargs: str) -> ImportReport:
    return import_framework(actor=user, data=csv_file(**kwargs), filename="wd.csv")


IMPORTERS = pytest.mark.parametrize("do_import", [_yaml, _csv], ids=["yaml", "csv"])


@IMPORTERS
def test_a_withdrawn_requirement_is_kept_marked_removed_and_explained(
    officer_olga: User, do_import: Callable[..., ImportReport]
) -> None:
    report = do_import(officer_olga)

    assert (report.created, report.withdrawn, report.removed) == (4, 1, 0)
    assert "1 withdrawn (kept, marked removed)" in report.summary()
    r2 = Requirement.objects.get(framework=report.framework, ref_id="R-2")
    assert r2.removed_at is not None
    assert (r2.title, r2.text, r2.is_section) == ("Two", "Second, kept for history.", False)
    assert r2.parent is not None and r2.parent.ref_id == "S"
    assert r2.guidance.splitlines() == [
        "Withdrawn: the publisher withdrew this requirement; it is kept for history and not assessed.",
        "Replaced by: R-3",
        "Own notes.",
    ]
    live = Requirement.objects.filter(framework=report.framework, is_section=False, removed_at__isnull=True)
    assert set(live.values_list("ref_id", flat=True)) == LIVE


@IMPORTERS
def test_a_withdrawn_requirement_counts_neither_in_coverage_nor_in_the_soa(
    officer_olga: User, owner_omar: User, do_import: Callable[..., ImportReport]
) -> None:
    framework = do_import(officer_olga).framework
    control = Control.objects.create(ref="CTL-W", title="Old tapes", owner=owner_omar)
    control.requirements.add(Requirement.objects.get(framework=framework, ref_id="R-2"))

    counted = framework_selectors.frameworks_visible_to(user=officer_olga).get(pk=framework.pk)
    assert (counted.requirement_count, counted.applicable_count, counted.removed_count) == (2, 2, 1)
    coverage = {c.framework.pk: c for c in control_selectors.coverage_by_framework(officer_olga)}
    assert coverage[framework.pk].applicable == len(LIVE)
    rows = list(control_selectors.statement_of_applicability(framework))
    assert {r.ref_id for r in rows} == LIVE
    assert control_selectors.soa_totals(rows) == (len(LIVE), 0)


@IMPORTERS
def test_status_is_optional_and_active_by_default(officer_olga: User, do_import: Callable[..., ImportReport]) -> None:
    report = do_import(officer_olga, status="", replaced_by="")
    assert report.withdrawn == 0
    r2 = Requirement.objects.get(framework=report.framework, ref_id="R-2")
    assert r2.removed_at is None
    assert r2.guidance == "Own notes."


def _refused(user: User, data: bytes, filename: str) -> list[str]:
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(actor=user, data=data, filename=filename)
    assert not Framework.objects.exists(), "nothing may be written when the file is refused"
    assert not Requirement.objects.exists()
    return [str(issue) for issue in caught.value.issues]


def test_an_unknown_status_refuses_the_yaml_file_naming_line_and_field(officer_olga: User) -> None:
    issues = _refused(officer_olga, yaml_file(status="retired"), "wd.yaml")
    assert issues == ["line 12, field 'status': 'retired' is not a status (use active or withdrawn)"]


def test_a_status_that_is_not_text_is_refused_in_yaml(officer_olga: User) -> None:
    issues = _refused(officer_olga, yaml_file(status="[withdrawn]"), "wd.yaml")
    assert issues == ["line 12, field 'status': must be text: active or withdrawn"]


def test_an_unknown_status_refuses_the_csv_file_naming_row_and_field(officer_olga: User) -> None:
    issues = _refused(officer_olga, csv_file(status="obsolete"), "wd.csv")
    assert issues == ["row 4, field 'status': 'obsolete' is not a status (use active or withdrawn)"]


@pytest.mark.parametrize(
    ("data", "filename", "where"),
    [
        (yaml_file(status="active"), "wd.yaml", "line 15"),
        (csv_file(status="active"), "wd.csv", "row 4"),
    ],
    ids=["yaml", "csv"],
)
def test_replaced_by_needs_a_withdrawn_requirement(officer_olga: User, data: bytes, filename: str, where: str) -> None:
    issues = _refused(officer_olga, data, filename)
    assert issues == [
        f"{where}, field 'replaced_by': only a withdrawn requirement names what replaced it (set status to withdrawn)"
    ]


@IMPORTERS
def test_reimport_with_status_active_restores_it(officer_olga: User, do_import: Callable[..., ImportReport]) -> None:
    framework = do_import(officer_olga).framework
    same = do_import(officer_olga)
    assert (same.created, same.updated, same.unchanged, same.restored, same.withdrawn) == (0, 0, 4, 0, 1)

    back = do_import(officer_olga, status="Active", version="2.0", replaced_by="")
    assert (back.updated, back.restored, back.removed, back.withdrawn) == (1, 1, 0, 0)
    r2 = Requirement.objects.get(framework=framework, ref_id="R-2")
    assert r2.removed_at is None
    assert r2.guidance == "Own notes."
    rows = list(control_selectors.statement_of_applicability(framework))
    assert {r.ref_id for r in rows} == {*LIVE, "R-2"}

    again = do_import(officer_olga, version="3.0")
    assert (again.updated, again.withdrawn) == (1, 1)
    assert Requirement.objects.get(framework=framework, ref_id="R-2").removed_at is not None


def test_a_bad_status_in_a_new_version_leaves_the_imported_one_untouched(officer_olga: User) -> None:
    framework = _csv(officer_olga).framework
    with pytest.raises(FrameworkImportError):
        _csv(officer_olga, status="gone", version="2.0")
    framework.refresh_from_db()
    assert framework.version == "1.0"
    assert Requirement.objects.get(framework=framework, ref_id="R-2").removed_at is not None


def test_the_documented_example_withdraws_bk0_and_its_error_is_as_documented(officer_olga: User) -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "framework-format.md").read_text()
    match = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert match is not None
    example = match.group(1)
    report = import_framework(actor=officer_olga, data=example.encode(), filename="acme.yaml")
    assert report.withdrawn == 1
    bk0 = Requirement.objects.get(framework=report.framework, ref_id="BK-0")
    assert bk0.removed_at is not None
    assert bk0.guidance.splitlines()[1] == "Replaced by: BK-1"

    retired = example.replace("status: withdrawn ", "status: retired   ").encode()
    with pytest.raises(FrameworkImportError) as caught:
        import_framework(actor=officer_olga, data=retired, filename="acme.yaml")
    documented = "`line 29, field 'status': 'retired' is not a status (use\nactive or withdrawn)`"
    assert documented in doc
    assert [str(issue) for issue in caught.value.issues] == [documented.strip("`").replace("\n", " ")]
