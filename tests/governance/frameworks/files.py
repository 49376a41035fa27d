"""Framework files made for the tests: YAML, CSV and OSCAL catalogs, in versions 1 and 2."""

from __future__ import annotations

import json
from typing import Any

YAML_V1 = """\
framework:
  key: test-baseline
  name: Test baseline
  version: "1.0"
  publisher: Tests
requirements:
  - ref_id: AC
    title: Access
    children:
      - ref_id: AC-1
        title: Named accounts
        text: Every person has an account of their own.
        guidance: Shared accounts are kept in the vault.
      - ref_id: AC-2
        title: Reviews
        text: Access is reviewed twice a year.
  - ref_id: BK
    title: Backups
    children:
      - ref_id: BK-1
        reference: "B.1"
        title: Daily backups
        text: Critical data is backed up every day.
      - ref_id: BK-2
        title: Restore tests
        text: Restores are tested yearly.
"""

# Version 2: AC-1 text changed, AC-2 gone, BK-3 new, BK-2 unchanged.
YAML_V2 = """\
framework:
  key: test-baseline
  name: Test baseline
  version: "2.0"
  publisher: Tests
requirements:
  - ref_id: AC
    title: Access
    children:
      - ref_id: AC-1
        title: Named accounts
        text: Every person signs in with an account of their own, with MFA.
        guidance: Shared accounts are kept in the vault.
  - ref_id: BK
    title: Backups
    children:
      - ref_id: BK-1
        reference: "B.1"
        title: Daily backups
        text: Critical data is backed up every day.
      - ref_id: BK-2
        title: Restore tests
        text: Restores are tested yearly.
      - ref_id: BK-3
        title: Offline copy
        text: One copy is kept offline.
"""

CSV_V1 = (
    "framework_key,framework_name,framework_version,ref_id,parent_ref_id,reference,title,text,is_section\n"
    "csv-baseline,CSV baseline,2024,S1,,1,Policies,,yes\n"
    ',,,S1.1,S1,1.1,Security policy,"A policy, approved by management.",no\n'
    ",,,S1.2,S1,1.2,Acknowledgement,Staff acknowledge the policy.,no\n"
    ",,,S2,,2,Suppliers,,yes\n"
    ",,,S2.1,S2,2.1,Supplier list,Keep a list of suppliers.,\n"
)


def oscal_catalog(**overrides: Any) -> dict[str, Any]:
    """A small OSCAL catalog: nested groups, controls with params and parts, nested enhancements."""
    catalog: dict[str, Any] = {
        "catalog": {
            "uuid": "00000000-0000-4000-8000-000000000001",
            "metadata": {
                "title": "Test OSCAL Catalog",
                "version": "5.1",
                "oscal-version": "1.1.2",
                "remarks": "Made for the tests.",
            },
            "groups": [
                {
                    "id": "ac",
                    "class": "family",
                    "title": "Access Control",
                    "groups": [
                        {
                            "id": "ac-sub",
                            "title": "Account Management Topics",
                            "controls": [
                                {
                                    "id": "ac-2",
                                    "class": "SP800-53",
                                    "title": "Account Management",
                                    "params": [
                                        {"id": "ac-2_prm_1", "label": "time period"},
                                        {
                                            "id": "ac-2_prm_2",
                                            "select": {"how-many": "one-or-more", "choice": ["disable", "remove"]},
                                        },
                                    ],
                                    "props": [{"name": "label", "value": "AC-2"}],
                                    "parts": [
                                        {
                                            "id": "ac-2_smt",
                                            "name": "statement",
                                            "parts": [
                                                {
                                                    "id": "ac-2_smt.a",
                                                    "name": "item",
                                                    "props": [{"name": "label", "value": "a."}],
                                                    "prose": "Review accounts every {{ insert: param, ac-2_prm_1 }};",
                                                },
                                                {
                                                    "id": "ac-2_smt.b",
                                                    "name": "item",
                                                    "props": [{"name": "label", "value": "b."}],
                                                    "prose": "{{ insert: param, ac-2_prm_2 }} unused accounts.",
                                                },
                                            ],
                                        },
                                        {
                                            "id": "ac-2_gdn",
                                            "name": "guidance",
                                            "prose": "Account types include individual and shared accounts.",
                                        },
                                    ],
                                    "controls": [
                                        {
                                            "id": "ac-2.1",
                                            "class": "SP800-53-enhancement",
                                            "title": "Automated System Account Management",
                                            "props": [{"name": "label", "value": "AC-2(1)"}],
                                            "parts": [
                                                {
                                                    "id": "ac-2.1_smt",
                                                    "name": "statement",
                                                    "prose": "Support account management with automated tools.",
                                                }
                                            ],
                                            "controls": [
                                                {
                                                    "id": "ac-2.1.1",
                                                    "title": "Nested Enhancement",
                                                    "parts": [{"id": "x_smt", "name": "statement", "prose": "Deeper."}],
                                                }
                                            ],
                                        }
                                    ],
                                }
                            ],
                        }
                    ],
                    "controls": [
                        {
                            "id": "ac-1",
                            "title": "Policy and Procedures",
                            "props": [{"name": "label", "value": "AC-1"}],
                            "parts": [{"id": "ac-1_smt", "name": "statement", "prose": "Develop a policy."}],
                        }
                    ],
                }
            ],
        }
    }
    catalog["catalog"].update(overrides)
    return catalog


def oscal_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=2).encode()
