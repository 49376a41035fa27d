"""Inventory parsers: every format, the notes on what is skipped, and malformed input refused whole."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.patching.inventories import (
    InstalledPackage,
    InventoryError,
    detect_format,
    parse_cyclonedx,
    parse_dpkg,
    parse_inventory,
    parse_npm_lock,
    parse_pip,
    parse_pip_freeze,
    parse_pip_inspect,
)

DPKG_QUERY = (
    "adduser\t3.134\tadduser\t3.134\n"
    "libc6:amd64\t2.36-9+deb12u4\tglibc\t2.36-9+deb12u4\n"
    "libssl3:amd64\t3.0.11-1~deb12u2\topenssl\t3.0.11-1~deb12u2\n"
    "login\t1:4.13+dfsg1-1+b1\tshadow\t1:4.13+dfsg1-1\n"
    "tzdata\t2024a-0+deb12u1\t\t\n"
)


def test_dpkg_query_output() -> None:
    inventory = parse_dpkg(DPKG_QUERY, "debian:12")
    assert inventory.format == "dpkg"
    rows = {row.name: row for row in inventory.packages}
    assert len(rows) == 5
    assert rows["libc6"] == InstalledPackage(
        "Debian:12",
        "libc6",
        "2.36-9+deb12u4",
        "glibc",
        "2.36-9+deb12u4",
        "pkg:deb/debian/libc6@2.36-9+deb12u4?distro=debian-12",
    )
    # binNMU: the binary version has +b1, the source version does not; matching uses the source.
    assert (rows["login"].match_name, rows["login"].match_version) == ("shadow", "1:4.13+dfsg1-1")
    # Empty source columns: the source is named like the binary.
    assert (rows["tzdata"].source_name, rows["tzdata"].source_version) == ("tzdata", "2024a-0+deb12u1")


@pytest.mark.parametrize("release", ["12", "bookworm", "Debian:12", "debian:12.5"])
def test_dpkg_release_spellings(release: str) -> None:
    assert parse_dpkg(DPKG_QUERY, release).packages[0].ecosystem == "Debian:12"


def test_dpkg_unknown_release() -> None:
    with pytest.raises(ValueError, match="unknown Debian release"):
        parse_dpkg(DPKG_QUERY, "sid")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("libfoo\t1.0-1\tfoo\n", "expected 4 tab-separated columns, got 3"),
        ("libfoo 1.0-1 foo 1.0-1\n", "expected 4 tab-separated columns, got 1"),
        ("libfoo\t\tfoo\t1.0-1\n", "version: empty version"),
        ("libfoo\t1.0 beta\tfoo\t1.0-1\n", "version: contains whitespace"),
        ("libfoo\t1.0-1\tfoo\t1:\n", "source version: nothing after the epoch's colon"),
        ("LibFoo\t1.0-1\tfoo\t1.0-1\n", "invalid package name 'LibFoo'"),
        ("libfoo\t1.0-1\tfoo bar\t1.0-1\n", "invalid source package name 'foo bar'"),
    ],
)
def test_dpkg_malformed_line_is_refused_whole(line: str, problem: str) -> None:
    text = DPKG_QUERY + line + "zlib1g:amd64\t1:1.2.13.dfsg-1\tzlib\t1:1.2.13.dfsg-1\n"
    with pytest.raises(InventoryError) as caught:
        parse_dpkg(text, "12")
    assert caught.value.location == "line 6"
    assert problem in caught.value.problem
    assert str(caught.value).startswith("dpkg: line 6: ")


PIP_INSPECT: dict[str, Any] = {
    "version": "1",
    "pip_version": "24.0",
    "installed": [
        {"metadata": {"metadata_version": "2.1", "name": "Django", "version": "4.2.10"}, "requested": True},
        {"metadata": {"name": "typing_extensions", "version": "4.9.0"}, "installer": "pip"},
        {"metadata": {"name": "legacy-thing", "version": "2004d"}},  # not PEP 440: kept, reported at matching
    ],
    "environment": {"python_version": "3.11"},
}


def test_pip_inspect() -> None:
    inventory = parse_pip_inspect(json.dumps(PIP_INSPECT).encode())
    assert [(p.ecosystem, p.name, p.version) for p in inventory.packages] == [
        ("PyPI", "Django", "4.2.10"),
        ("PyPI", "typing_extensions", "4.9.0"),
        ("PyPI", "legacy-thing", "2004d"),
    ]
    assert inventory.packages[1].purl == "pkg:pypi/typing-extensions@4.9.0"


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda d: d.pop("installed"), "$.installed", "expected an array"),
        (lambda d: d["installed"][1].pop("metadata"), "$.installed[1].metadata", "expected an object"),
        (lambda d: d["installed"][2]["metadata"].update(version=""), "$.installed[2].metadata.version", "non-empty"),
        (lambda d: d["installed"][0]["metadata"].update(name=7), "$.installed[0].metadata.name", "non-empty string"),
        (lambda d: d["installed"][0]["metadata"].update(name="-bad-"), "$.installed[0].metadata.name", "invalid"),
    ],
)
def test_pip_inspect_malformed(change: Any, path: str, problem: str) -> None:
    document = json.loads(json.dumps(PIP_INSPECT))
    change(document)
    with pytest.raises(InventoryError) as caught:
        parse_pip_inspect(document)
    assert caught.value.location == path
    assert problem in caught.value.problem


PIP_FREEZE = """\
# Editable Git install with no remote (rampart==0.1.0)
-e /srv/rampart
asgiref==3.7.2
Django==4.2.10
my-fork @ git+https://example.org/my-fork.git@abc123
zope.interface===6.1

sqlparse==0.4.4
"""


def test_pip_freeze_skips_with_notes() -> None:
    inventory = parse_pip_freeze(PIP_FREEZE)
    assert [(p.name, p.version) for p in inventory.packages] == [
        ("asgiref", "3.7.2"),
        ("Django", "4.2.10"),
        ("zope.interface", "6.1"),
        ("sqlparse", "0.4.4"),
    ]
    assert inventory.notes == (
        "line 2: editable install skipped (-e /srv/rampart)",
        "line 5: my-fork is a direct URL reference with no version; skipped",
    )


@pytest.mark.parametrize("bad", ["Django>=4.2", "Django", "Django==", "==4.2", "Django==4.2; python_version>'3'"])
def test_pip_freeze_malformed_line(bad: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_pip_freeze(PIP_FREEZE + bad + "\n")
    assert caught.value.location == "line 9"
    assert "expected 'name==version'" in caught.value.problem


def test_pip_dispatches_on_content() -> None:
    assert parse_pip(PIP_FREEZE.encode()).packages[0].name == "asgiref"
    assert parse_pip(json.dumps(PIP_INSPECT).encode()).packages[0].name == "Django"


def _lockfile(version: int) -> dict[str, Any]:
    return {
        "name": "web",
        "version": "1.0.0",
        "lockfileVersion": version,
        "requires": True,
        "packages": {
            "": {"name": "web", "version": "1.0.0", "workspaces": ["packages/*"]},
            "node_modules/lodash": {"version": "4.17.19", "resolved": "https://registry.npmjs.org/lodash/-/x.tgz"},
            "node_modules/@babel/core": {"version": "7.23.9", "dev": True},
            "node_modules/@babel/core/node_modules/semver": {"version": "6.3.1", "dev": True},
            "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3"},  # an npm alias
            "node_modules/ui": {"resolved": "packages/ui", "link": True},
            "packages/ui": {"name": "ui", "version": "0.1.0"},
        },
    }


@pytest.mark.parametrize("version", [2, 3])
def test_npm_lockfile(version: int) -> None:
    inventory = parse_npm_lock(json.dumps(_lockfile(version)))
    assert [(p.ecosystem, p.name, p.version) for p in inventory.packages] == [
        ("npm", "lodash", "4.17.19"),
        ("npm", "@babel/core", "7.23.9"),
        ("npm", "semver", "6.3.1"),  # the last node_modules/ segment
        ("npm", "string-width", "4.2.3"),  # the name field wins
    ]
    assert inventory.packages[1].purl == "pkg:npm/%40babel/core@7.23.9"
    assert inventory.notes == ('$.packages["packages/ui"]: workspace folder skipped (the project\'s own code)',)


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda d: d.update(lockfileVersion=1), "$.lockfileVersion", "lockfileVersion 1 is not supported"),
        (lambda d: d.pop("packages"), "$.packages", "expected an object"),
        (
            lambda d: d["packages"]["node_modules/lodash"].pop("version"),
            '$.packages["node_modules/lodash"].version',
            "",
        ),
        (lambda d: d["packages"].update({"node_modules/x": "1.0.0"}), '$.packages["node_modules/x"]', "an object"),
        (
            lambda d: d["packages"]["node_modules/@babel/core"].update(name=""),
            '$.packages["node_modules/@babel/core"].name',
            "",
        ),
    ],
)
def test_npm_lockfile_malformed(change: Any, path: str, problem: str) -> None:
    document = _lockfile(3)
    change(document)
    with pytest.raises(InventoryError) as caught:
        parse_npm_lock(document)
    assert caught.value.location == path
    assert problem in caught.value.problem


def _sbom(spec: str = "1.5") -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {"component": {"type": "container", "name": "web", "purl": "pkg:oci/web@sha256%3Aabc"}},
        "components": [
            {"type": "library", "name": "django", "version": "4.2.10", "purl": "pkg:pypi/django@4.2.10"},
            {
                "type": "library",
                "name": "core",
                "group": "@angular",
                "purl": "pkg:npm/%40angular/core@16.2.0",
                "components": [
                    {"type": "library", "name": "tslib", "version": "2.6.2", "purl": "pkg:npm/tslib@2.6.2"},
                ],
            },
            {
                "type": "library",
                "name": "libssl3",
                "version": "3.0.11-1~deb12u2",
                "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12",
            },
            {
                "type": "library",
                "name": "login",
                "purl": "pkg:deb/debian/login@1:4.13%2Bdfsg1-1%2Bb1?arch=amd64&upstream=shadow%401:4.13%2Bdfsg1-1",
            },
            {"type": "library", "name": "guava", "purl": "pkg:maven/com.google.guava/guava@32.1.2-jre"},
            {"type": "library", "name": "jq", "purl": "pkg:deb/ubuntu/jq@1.6-2.1ubuntu3?distro=ubuntu-22.04"},
            {"type": "file", "name": "LICENSE"},
        ],
    }


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_cyclonedx(spec: str) -> None:
    inventory = parse_cyclonedx(json.dumps(_sbom(spec)), debian_release="bookworm")
    assert [(p.ecosystem, p.name, p.version, p.match_name, p.match_version) for p in inventory.packages] == [
        ("PyPI", "django", "4.2.10", "django", "4.2.10"),
        ("npm", "@angular/core", "16.2.0", "@angular/core", "16.2.0"),
        ("npm", "tslib", "2.6.2", "tslib", "2.6.2"),  # nested component
        ("Debian:12", "libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"),
        ("Debian:12", "login", "1:4.13+dfsg1-1+b1", "shadow", "1:4.13+dfsg1-1"),  # release from the argument
    ]
    assert inventory.notes == (
        "1 component(s) of type deb/ubuntu skipped",
        "1 component(s) of type maven skipped",
        "1 component(s) without a package URL skipped",
    )


def test_cyclonedx_debian_without_a_release_is_skipped() -> None:
    inventory = parse_cyclonedx(_sbom())
    assert [p.name for p in inventory.packages if p.ecosystem.startswith("Debian")] == ["libssl3"]
    assert "1 component(s) of a Debian release that is not given or not known skipped" in inventory.notes


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda d: d.update(bomFormat="SPDX"), "$.bomFormat", "expected 'CycloneDX'"),
        (lambda d: d.update(specVersion="1.3"), "$.specVersion", "'1.3' is not supported"),
        (lambda d: d.update(components={}), "$.components", "expected an array"),
        (lambda d: d["components"][1]["components"].append("tslib"), "$.components[1].components[1]", "a component"),
        (
            lambda d: d["components"][1]["components"][0].update(purl="npm/tslib"),
            "$.components[1].components[0].purl",
            "pkg:",
        ),
        (lambda d: d["components"][0].update(purl=["pkg:pypi/x@1"]), "$.components[0].purl", "expected a string"),
    ],
)
def test_cyclonedx_malformed(change: Any, path: str, problem: str) -> None:
    document = _sbom()
    change(document)
    with pytest.raises(InventoryError) as caught:
        parse_cyclonedx(document)
    assert caught.value.location == path
    assert problem in caught.value.problem


def test_detect_format() -> None:
    assert detect_format(DPKG_QUERY.encode()) == "dpkg"
    assert detect_format(PIP_FREEZE.encode()) == "pip"
    assert detect_format(b"\xef\xbb\xbfDjango==4.2\n") == "pip"
    assert detect_format(json.dumps(PIP_INSPECT).encode()) == "pip"
    assert detect_format(json.dumps(_lockfile(2)).encode()) == "npm"
    assert detect_format(json.dumps(_sbom()).encode()) == "cyclonedx"
    for data, where in [(b"hello world\n", "line 1"), (b'{"name": "x"}', "$"), (b"", "line 1"), (b"{oops", "line 1")]:
        with pytest.raises(InventoryError) as caught:
            detect_format(data)
        assert caught.value.location.startswith(where)


def test_parse_inventory_detects_and_needs_a_release_for_dpkg() -> None:
    assert parse_inventory(PIP_FREEZE.encode()).format == "pip"
    assert parse_inventory(DPKG_QUERY.encode(), debian_release="12").packages[2].source_name == "openssl"
    with pytest.raises(ValueError, match="needs its Debian release"):
        parse_inventory(DPKG_QUERY.encode())
    with pytest.raises(InventoryError, match=r"^dpkg: byte 3: not UTF-8"):
        parse_inventory(b"abc\xff\t1\t2\t3\n", format_name="dpkg", debian_release="12")
