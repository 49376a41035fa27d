"""Demo patch checks: a few advisories and the inventories of one demo server, so Patches shows findings.

Idempotent: advisories import incrementally (a second run changes nothing), and the inventories
are imported only when the demo asset has none. One finding is dated back 45 days so the demo
shows an overdue finding and a compliance figure below 100%.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.models import User
from core.actor import acting
from policies.models import Inventory, PatchFinding, PatchPolicy
from policies.patching.debian_tracker import parse_debian_tracker
from policies.patching.osv import parse_osv
from policies.services.advisories import import_advisories
from policies.services.inventories import import_inventory
from policies.services.patch_findings import reschedule_findings

DEMO_DOMAIN = "demo.rampart.test"
DEMO_ASSET = "ERP"

# Shaped like the published records (identifiers, packages and fixed versions as published).
DEMO_OSV: list[dict[str, Any]] = [
    {
        "id": "DSA-5532-1",
        "modified": "2023-10-25T00:00:00Z",
        "published": "2023-10-24T00:00:00Z",
        "aliases": ["CVE-2023-5363"],
        "summary": "openssl - security update (incorrect cipher key and IV length processing)",
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "openssl"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]}],
            }
        ],
    },
    {
        "id": "DSA-5514-1",
        "modified": "2023-10-03T00:00:00Z",
        "published": "2023-10-03T00:00:00Z",
        "aliases": ["CVE-2023-4911"],
        "summary": "glibc - security update (buffer overflow in the dynamic loader, 'Looney Tunables')",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": "glibc"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.36-9+deb12u3"}]}],
            }
        ],
        # As a feed enriched with CISA's catalogue of known exploited vulnerabilities marks it.
        "database_specific": {"known_exploited": True},
    },
    {
        "schema_version": "1.6.0",
        "id": "GHSA-vm8q-m57g-pff3",
        "modified": "2024-03-05T20:15:00Z",
        "published": "2024-03-04T15:30:25Z",
        "aliases": ["CVE-2024-27351"],
        "summary": "Regular expression denial-of-service in django.utils.text.Truncator.words()",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "django"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "3.2"}, {"fixed": "3.2.25"}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "4.2"}, {"fixed": "4.2.11"}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "5.0"}, {"fixed": "5.0.3"}]},
                ],
            }
        ],
        "database_specific": {"severity": "MODERATE"},
    },
    {
        "id": "GHSA-9wx4-h78v-vm56",
        "modified": "2024-06-10T19:30:00Z",
        "published": "2024-05-20T20:15:00Z",
        "aliases": ["CVE-2024-35195"],
        "summary": "Requests Session object does not verify requests after making first request with verify=False",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N"}],
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "requests"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.32.0"}]}],
            }
        ],
        "database_specific": {"severity": "MODERATE"},
    },
]

DEMO_TRACKER: dict[str, Any] = {
    "openssl": {
        "CVE-2024-0727": {
            "description": "PKCS12 Decoding crashes",
            "scope": "local",
            "releases": {
                "bookworm": {"status": "open", "repositories": {"bookworm": "3.0.11-1~deb12u2"}, "urgency": "low"}
            },
        }
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
                    "urgency": "high",
                }
            },
        }
    },
}

DEMO_DPKG = (
    "openssl\t3.0.11-1~deb12u1\t\t\n"
    "libssl3:amd64\t3.0.11-1~deb12u1\topenssl\t\n"
    "libc6:amd64\t2.36-9+deb12u1\tglibc\t\n"
    "libc-bin\t2.36-9+deb12u1\tglibc\t\n"
    "sudo\t1.9.13p3-1+deb12u1\t\t\n"
    "bash\t5.2.15-2+b2\t\t5.2.15-2\n"
    "coreutils\t9.1-1\t\t\n"
)
DEMO_PIP = "Django==4.2.10\nrequests==2.31.0\ngunicorn==22.0.0\n"


def seed_demo_patch_checks(ctx: Any) -> None:
    ivan = User.objects.filter(email=f"it_ivan@{DEMO_DOMAIN}", is_active=True).first()
    personas = getattr(ctx, "shared", {}).get("personas", {})
    ivan = personas.get("it_ivan", ivan)
    if ivan is None:
        ctx.notes.append("Patch checks: no it_ivan persona; demo inventories skipped.")
        return
    with acting(ivan, via=getattr(ctx, "via", "command:seed")), transaction.atomic():
        advisories = [(parse_osv(record, "demo"), "osv") for record in DEMO_OSV]
        advisories += [(a, "debian") for a in parse_debian_tracker(DEMO_TRACKER, source="demo-tracker.json")]
        report = import_advisories(actor=ivan, advisories=advisories)
        ctx.record("advisories", report.created)
        if Inventory.objects.filter(asset__name=DEMO_ASSET).exists():
            return
        first = import_inventory(
            actor=ivan,
            asset_name=DEMO_ASSET,
            data=DEMO_DPKG.encode(),
            format_name="dpkg",
            release="debian:12",
            filename="dpkg.txt",
            via=Inventory.Via.DEMO,
        )
        import_inventory(
            actor=ivan, asset_name=DEMO_ASSET, data=DEMO_PIP.encode(), filename="pip-freeze.txt", via=Inventory.Via.DEMO
        )
        ctx.record("inventories", 2)
        late = PatchFinding.objects.filter(asset=first.inventory.asset, vulnerability_id="CVE-2023-5363")
        late.update(first_seen=timezone.localdate() - timedelta(days=45))
        reschedule_findings(PatchPolicy.current())
        ctx.record("patch findings", PatchFinding.objects.filter(asset=first.inventory.asset).count())
