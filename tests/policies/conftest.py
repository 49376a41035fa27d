"""Patch checks in the database: advisories from the shared records, inventories in every format.

The inventories are what the tools print on a Debian 12 host (``dpkg-query`` with Rampart's
format, ``pip inspect``, ``pip freeze``, npm 9's ``package-lock.json``, a CycloneDX SBOM).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from policies.patching.debian_tracker import parse_debian_tracker
from policies.patching.osv import parse_osv
from policies.services.advisories import AdvisoryImportReport, import_advisories
from policies.services.inventories import InventoryImport, import_inventory
from tests.policies.patching.records import (
    DEBIAN_OPENSSL,
    DEBIAN_TRACKER,
    GHSA_DJANGO,
    GHSA_NPM_LAST_AFFECTED,
    PYSEC_DJANGO,
    WITHDRAWN,
)

# dpkg-query -W -f='${binary:Package}\t${Version}\t${source:Package}\t${source:Version}\n'
DPKG = (
    "adduser\t3.134\tadduser\t3.134\n"
    "bash\t5.2.15-2+b2\tbash\t5.2.15-2\n"
    "libc6:amd64\t2.36-9+deb12u1\tglibc\t2.36-9+deb12u1\n"
    "libssl3:amd64\t3.0.11-1~deb12u1\topenssl\t3.0.11-1~deb12u1\n"
    "openssl\t3.0.11-1~deb12u1\topenssl\t3.0.11-1~deb12u1\n"
    "sudo\t1.9.13p3-1+deb12u1\tsudo\t1.9.13p3-1+deb12u1\n"
)
# The same host after ``apt upgrade``: OpenSSL has its security update.
DPKG_UPGRADED = DPKG.replace("3.0.11-1~deb12u1", "3.0.11-1~deb12u2")

PIP_INSPECT: dict[str, Any] = {
    "version": "1",
    "pip_version": "24.0",
    "installed": [
        {
            "metadata": {"metadata_version": "2.1", "name": "Django", "version": "4.2.10", "requires_python": ">=3.8"},
            "metadata_location": "/srv/app/.venv/lib/python3.11/site-packages/Django-4.2.10.dist-info",
            "installer": "pip",
            "requested": True,
        },
        {
            "metadata": {"metadata_version": "2.1", "name": "requests", "version": "2.31.0"},
            "metadata_location": "/srv/app/.venv/lib/python3.11/site-packages/requests-2.31.0.dist-info",
            "installer": "pip",
            "requested": True,
        },
    ],
    "environment": {"implementation_name": "cpython", "python_version": "3.11"},
}
PIP_FREEZE = "Django==4.2.10\nrequests==2.31.0\n-e git+https://example.org/app.git@abc#egg=app\n"

NPM_LOCK: dict[str, Any] = {
    "name": "intranet",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "intranet", "version": "1.0.0", "dependencies": {"lodash": "^4.17.15"}},
        "node_modules/lodash": {
            "version": "4.17.15",
            "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz",
            "integrity": "sha512-8xOcRHvCjnocdS5cpwXQXVzmmh5e5+saE2QGoeQmbKmRS6J3VQppPOIt0MnmE+4xlZoumy0GPG0D0MVIQ"
            "bNA1A==",
        },
        "node_modules/@example/scoped": {"version": "1.2.0"},
        "node_modules/left-pad": {"version": "1.3.0"},
    },
}

CYCLONEDX: dict[str, Any] = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
    "version": 1,
    "metadata": {"timestamp": "2024-06-01T10:00:00Z", "component": {"type": "container", "name": "erp"}},
    "components": [
        {
            "type": "library",
            "name": "libssl3",
            "version": "3.0.11-1~deb12u1",
            "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl",
        },
        {"type": "library", "name": "Django", "version": "4.2.10", "purl": "pkg:pypi/django@4.2.10"},
        {"type": "library", "name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15"},
        {"type": "operating-system", "name": "debian", "version": "12.5"},
    ],
}

# The NVD-derived OSV record of the OpenSSL CVE: a CVSS vector, only GIT ranges (it matches nothing
# itself, but lends its severity to the Debian advisories that alias it).
CVE_OPENSSL: dict[str, Any] = {
    "id": "CVE-2023-5363",
    "modified": "2024-02-01T00:00:00Z",
    "published": "2023-10-25T18:17:43Z",
    "summary": "Incorrect cipher key & IV length processing",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
    "affected": [
        {
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://github.com/openssl/openssl",
                    "events": [{"introduced": "0"}, {"fixed": "5f69f5c65e483928c4b28ed16af6e5742929f1ee"}],
                }
            ]
        }
    ],
}


def osv(*records: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(parse_osv(record), "osv") for record in records]


def tracker(document: dict[str, Any] | None = None) -> list[tuple[Any, str]]:
    return [(advisory, "debian") for advisory in parse_debian_tracker(document or DEBIAN_TRACKER)]


def load_advisories(pairs: Iterable[tuple[Any, str]], actor: Any = None) -> AdvisoryImportReport:
    return import_advisories(actor=actor, advisories=list(pairs))


def standard_advisories() -> AdvisoryImportReport:
    """GHSA and PYSEC for Django, lodash, DSA for OpenSSL, a withdrawn one, and the Debian tracker."""
    records = osv(GHSA_DJANGO, PYSEC_DJANGO, GHSA_NPM_LAST_AFFECTED, DEBIAN_OPENSSL, WITHDRAWN)
    return load_advisories(records + tracker())


def inventory(
    text: str | dict[str, Any], *, asset: str = "erp-01", actor: Any = None, **kwargs: Any
) -> InventoryImport:
    data = json.dumps(text).encode() if isinstance(text, dict) else text.encode()
    return import_inventory(actor=actor, asset_name=asset, data=data, **kwargs)


@pytest.fixture
def advisories(db: Any) -> AdvisoryImportReport:
    return standard_advisories()
