"""OSV records and a Debian tracker snippet shaped like the published ones, shared by the tests.

The identifiers and versions follow the real advisories' shapes (GHSA, PYSEC, DSA-style
Debian records); the contents are written for the tests.
"""

from __future__ import annotations

from typing import Any

# PyPI, from GitHub's database: ECOSYSTEM ranges for three branches, a versions list, CVSS v3.
GHSA_DJANGO: dict[str, Any] = {
    "schema_version": "1.6.0",
    "id": "GHSA-vm8q-m57g-pff3",
    "modified": "2024-03-05T20:15:00Z",
    "published": "2024-03-04T15:30:25Z",
    "aliases": ["CVE-2024-27351"],
    "summary": "Regular expression denial-of-service in django.utils.text.Truncator.words()",
    "details": "Truncator.words() with html=True was subject to a potential ReDoS.",
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "django", "purl": "pkg:pypi/django"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "3.2"}, {"fixed": "3.2.25"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "4.2"}, {"fixed": "4.2.11"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "5.0"}, {"fixed": "5.0.3"}]},
            ],
            "database_specific": {"source": "https://github.com/github/advisory-database"},
        }
    ],
    "references": [{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-27351"}],
    "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-1333"], "github_reviewed": True},
}

# The same vulnerability from the PyPA database: a versions list and aliases both ways.
PYSEC_DJANGO: dict[str, Any] = {
    "id": "PYSEC-2024-47",
    "modified": "2024-03-15T05:26:31.513204Z",
    "published": "2024-03-15T20:15:00Z",
    "aliases": ["CVE-2024-27351", "GHSA-vm8q-m57g-pff3"],
    "details": "In Django 3.2 before 3.2.25, 4.2 before 4.2.11, and 5.0 before 5.0.3 ...",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Django", "purl": "pkg:pypi/django"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    # Out of order on purpose: evaluation sorts the events.
                    "events": [{"fixed": "4.2.11"}, {"introduced": "4.2"}, {"introduced": "5.0"}, {"fixed": "5.0.3"}],
                },
                {
                    "type": "GIT",
                    "repo": "https://github.com/django/django",
                    "events": [{"introduced": "0"}, {"fixed": "072963e4c4d0b3a7a8c5412bc0c7d27d1a9c3521"}],
                },
            ],
            "versions": ["3.2", "3.2.1", "3.2.24", "4.2", "4.2.10", "5.0", "5.0.2"],
        }
    ],
}

# npm, SEMVER with last_affected (no fix known) and a prerelease in play.
GHSA_NPM_LAST_AFFECTED: dict[str, Any] = {
    "id": "GHSA-p6mc-m468-83gw",
    "modified": "2024-01-10T10:00:00Z",
    "published": "2020-07-15T19:15:48Z",
    "aliases": ["CVE-2020-8203"],
    "summary": "Prototype pollution in lodash",
    "affected": [
        {
            "package": {"ecosystem": "npm", "name": "lodash"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "3.7.0"}, {"last_affected": "4.17.19"}]}],
        },
        {
            "package": {"ecosystem": "npm", "name": "@example/scoped"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0-rc.2"}]}],
        },
    ],
    "database_specific": {"severity": "HIGH"},
}

# Debian's own OSV records: ecosystem "Debian:12", source package, dpkg versions.
DEBIAN_OPENSSL: dict[str, Any] = {
    "id": "DSA-5532-1",
    "modified": "2023-10-25T00:00:00Z",
    "published": "2023-10-24T00:00:00Z",
    "aliases": ["CVE-2023-5363"],
    "summary": "openssl - security update",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "openssl", "purl": "pkg:deb/debian/openssl?arch=source"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}],
        },
        {
            "package": {"ecosystem": "Debian:11", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1.1w-0+deb11u1"}]}],
        },
    ],
}

# Only a GIT range (and nothing listed): nothing can match without the repository.
GIT_ONLY: dict[str, Any] = {
    "id": "OSV-2023-1001",
    "modified": "2023-11-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "pillow"},
            "ranges": [
                {
                    "type": "GIT",
                    "repo": "https://github.com/python-pillow/Pillow",
                    "events": [{"introduced": "0"}, {"limit": "8c4b5a11b5f6a5e4b8f8f2c9a1c0d7e6f5a4b3c2"}],
                }
            ],
        }
    ],
}

WITHDRAWN: dict[str, Any] = {
    "id": "GHSA-2222-3333-4444",
    "modified": "2024-02-01T00:00:00Z",
    "withdrawn": "2024-02-01T00:00:00Z",
    "aliases": ["CVE-2024-0001"],
    "summary": "Withdrawn: not a vulnerability",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "requests"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}

# limit events: affected from 1.0 on the 1.x line only (limit 2.0), and a second range to "*".
LIMITED: dict[str, Any] = {
    "id": "PYSEC-2023-999",
    "modified": "2023-06-01T00:00:00Z",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "limited-pkg"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"limit": "2.0"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}, {"fixed": "3.5"}, {"limit": "*"}]},
            ],
        }
    ],
}

# The Debian security tracker's JSON (https://security-tracker.debian.org/tracker/data/json).
DEBIAN_TRACKER: dict[str, Any] = {
    "openssl": {
        "CVE-2023-5363": {
            "description": "Incorrect cipher key & IV length processing",
            "scope": "remote",
            "releases": {
                "bookworm": {
                    "status": "resolved",
                    "repositories": {"bookworm": "3.0.11-1~deb12u2", "bookworm-security": "3.0.11-1~deb12u2"},
                    "fixed_version": "3.0.11-1~deb12u2",
                    "urgency": "not yet assigned",
                },
                "bullseye": {
                    "status": "resolved",
                    "repositories": {"bullseye": "1.1.1w-0+deb11u1"},
                    "fixed_version": "0",
                    "urgency": "unimportant",
                },
                "sid": {"status": "resolved", "repositories": {"sid": "3.1.4-2"}, "fixed_version": "3.0.12-1"},
            },
        },
        "CVE-2024-0727": {
            "description": "PKCS12 Decoding crashes",
            "scope": "local",
            "debianbug": 1060858,
            "releases": {
                "bookworm": {
                    "status": "open",
                    "repositories": {"bookworm": "3.0.11-1~deb12u2"},
                    "urgency": "low",
                },
                "trixie": {
                    "status": "resolved",
                    "repositories": {"trixie": "3.1.5-1"},
                    "fixed_version": "3.1.5-1",
                    "urgency": "low",
                },
            },
        },
    },
    "sudo": {
        "CVE-2023-22809": {
            "description": "sudoedit allows an attacker to edit arbitrary files",
            "scope": "local",
            "releases": {
                "bookworm": {
                    "status": "resolved",
                    "repositories": {"bookworm": "1.9.13p3-1+deb12u1"},
                    "fixed_version": "1.9.12p2-1",
                    "urgency": "high**",
                },
                "bullseye": {"status": "undetermined", "repositories": {"bullseye": "1.9.5p2-3+deb11u1"}},
            },
        },
        "TEMP-0000000-ABCDEF": {
            "description": "a placeholder for an issue without a CVE yet",
            "releases": {
                "bookworm": {"status": "open", "repositories": {"bookworm": "1.9.13p3-1"}, "urgency": "medium"},
            },
        },
    },
}
