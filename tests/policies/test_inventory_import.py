"""Importing inventories: every format, detection, history, the Debian release, malformed files refused whole."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from core.errors import PermissionDeniedError
from governance.models import Asset
from policies.models import InstalledPackage, Inventory, PatchFinding
from policies.services.inventories import InventoryImportError
from tests.policies.conftest import CYCLONEDX, DPKG, NPM_LOCK, PIP_FREEZE, PIP_INSPECT, inventory

pytestmark = pytest.mark.django_db


def _rows(result: Any) -> set[tuple[str, str, str, str, str]]:
    return set(result.inventory.packages.values_list("ecosystem", "name", "version", "source_name", "match_name"))


def test_dpkg_rows_keep_their_source_package_and_the_release() -> None:
    result = inventory(DPKG, release="debian:12")

    assert result.inventory.format == "dpkg"  # detected
    assert result.inventory.release == "Debian:12"
    assert result.inventory.package_count == 6
    assert ("Debian:12", "libssl3", "3.0.11-1~deb12u1", "openssl", "openssl") in _rows(result)
    assert ("Debian:12", "libc6", "2.36-9+deb12u1", "glibc", "glibc") in _rows(result)
    bash = result.inventory.packages.get(name="bash")
    assert (bash.version, bash.source_version) == ("5.2.15-2+b2", "5.2.15-2")
    assert Asset.objects.filter(name="erp-01").exists()  # created on the way


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (PIP_INSPECT, {("PyPI", "Django", "4.2.10", "", "django"), ("PyPI", "requests", "2.31.0", "", "requests")}),
        (PIP_FREEZE, {("PyPI", "Django", "4.2.10", "", "django"), ("PyPI", "requests", "2.31.0", "", "requests")}),
        (
            NPM_LOCK,
            {
                ("npm", "lodash", "4.17.15", "", "lodash"),
                ("npm", "@example/scoped", "1.2.0", "", "@example/scoped"),
                ("npm", "left-pad", "1.3.0", "", "left-pad"),
            },
        ),
        (
            CYCLONEDX,
            {
                ("Debian:12", "libssl3", "3.0.11-1~deb12u1", "openssl", "openssl"),
                ("PyPI", "django", "4.2.10", "", "django"),
                ("npm", "lodash", "4.17.15", "", "lodash"),
            },
        ),
    ],
    ids=["pip-inspect", "pip-freeze", "npm-lock-v3", "cyclonedx-1.5"],
)
def test_every_format_is_detected_and_stored(document: Any, expected: set[Any]) -> None:
    result = inventory(document)
    assert _rows(result) == expected


@pytest.mark.parametrize("spec", ["1.4", "1.6"])
def test_cyclonedx_versions_are_taken(spec: str) -> None:
    document = copy.deepcopy(CYCLONEDX)
    document["specVersion"] = spec
    assert inventory(document, format_name="cyclonedx").inventory.package_count == 3


def test_npm_lockfile_v2_is_taken_and_workspaces_are_noted() -> None:
    document = copy.deepcopy(NPM_LOCK)
    document["lockfileVersion"] = 2
    document["packages"]["packages/admin"] = {"name": "admin", "version": "0.1.0"}
    result = inventory(document, format_name="npm")
    assert result.inventory.package_count == 3
    assert any("workspace folder skipped" in note for note in result.inventory.notes)


def test_pip_freeze_notes_what_it_skipped() -> None:
    result = inventory(PIP_FREEZE)
    assert result.inventory.notes == [
        "line 3: editable install skipped (-e git+https://example.org/app.git@abc#egg=app)"
    ]


@pytest.mark.parametrize(
    ("data", "fmt", "location", "problem"),
    [
        ("openssl\t3.0.11-1~deb12u1\topenssl\n", "dpkg", "line 1", "expected 4 tab-separated columns, got 3"),
        (DPKG + "bad\tnot a version\tbad\tnot a version\n", "dpkg", "line 7", "version"),
        ("Django==4.2.10\nrequests>=2.0\n", "pip", "line 2", "expected 'name==version'"),
        ('{"installed": [{"metadata": {"name": "Django"}}]}', "pip", "$.installed[0].metadata.version", "non-empty"),
        ('{"lockfileVersion": 1, "dependencies": {}}', "npm", "$.lockfileVersion", "not supported"),
        (
            '{"lockfileVersion": 3, "packages": {"node_modules/x": {"version": 3}}}',
            "npm",
            '$.packages["node_modules/x"].version',
            "non-empty version string",
        ),
        (
            '{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "x", "purl": "npm/x@1"}]}',
            "cyclonedx",
            "$.components[0].purl",
            "",
        ),
        ('{"bomFormat": "CycloneDX", "specVersion": "1.3", "components": []}', "cyclonedx", "$.specVersion", "1.3"),
        ('{"installed": [', None, "line 1 column 16", "invalid JSON"),
    ],
    ids=[
        "dpkg-columns",
        "dpkg-version",
        "pip-freeze",
        "pip-inspect",
        "npm-v1",
        "npm-version",
        "cyclonedx-purl",
        "cyclonedx-spec",
        "json",
    ],
)
def test_a_malformed_inventory_is_refused_whole_naming_where(
    data: str, fmt: str | None, location: str, problem: str
) -> None:
    inventory(DPKG, asset="erp-01", release="debian:12")
    before = InstalledPackage.objects.count()

    with pytest.raises(InventoryImportError) as refused:
        inventory(data, asset="erp-01", format_name=fmt, release="debian:12")

    assert refused.value.location == location
    assert problem in refused.value.problem
    assert str(refused.value).startswith("The inventory was refused, nothing was imported: ")
    assert InstalledPackage.objects.count() == before
    assert Inventory.objects.filter(asset__name="erp-01").count() == 1  # the previous one is still current
    assert Inventory.objects.get(asset__name="erp-01").is_current


def test_each_import_is_kept_and_the_newest_of_each_scope_is_current() -> None:
    first = inventory(DPKG, release="debian:12").inventory
    pip = inventory(PIP_FREEZE).inventory
    second = inventory(DPKG).inventory  # the release comes from the asset's current dpkg inventory

    assert second.release == "Debian:12"
    current = set(Inventory.objects.filter(is_current=True).values_list("pk", flat=True))
    assert current == {pip.pk, second.pk}
    first.refresh_from_db()
    assert not first.is_current
    assert first.packages.count() == 6  # history keeps its rows


def test_dpkg_without_any_release_is_refused_on_the_release_field() -> None:
    with pytest.raises(ValidationError) as refused:
        inventory(DPKG, format_name="dpkg")
    assert "release" in refused.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        inventory(DPKG, release="ubuntu:22.04")
    assert "not a Debian release" in unknown.value.message_dict["release"][0]
    assert not Inventory.objects.exists()


def test_empty_or_unknown_format_is_a_field_error() -> None:
    with pytest.raises(ValidationError) as empty:
        inventory("  \n")
    assert "file" in empty.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        inventory(DPKG, format_name="rpm")
    assert "format" in unknown.value.message_dict


def test_permissions_to_import_and_to_create_an_asset(personas: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        inventory(DPKG, actor=personas["officer_olga"], release="debian:12")  # reads, does not upload
    with pytest.raises(PermissionDeniedError):
        inventory(DPKG, actor=personas["auditor_aude"], release="debian:12")

    result = inventory(DPKG, actor=personas["it_ivan"], release="debian:12")
    assert result.inventory.uploaded_by == personas["it_ivan"]
    assert result.inventory.asset.description == "Created by a patch-check inventory import."


def test_an_import_checks_the_asset_at_once(advisories: Any) -> None:
    result = inventory(DPKG, release="debian:12")

    assert result.check is not None
    assert result.check.new_findings == PatchFinding.objects.count() == 3
    assert "Imported 6 packages for erp-01; 3 new finding(s)" in result.summary()
