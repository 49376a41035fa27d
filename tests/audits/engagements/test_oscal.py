"""The pack's OSCAL assessment-results document validates against NIST's OSCAL 1.1 schema.

The validator is compliance-trestle 3.x (the OSCAL 1.1.3 line; 4 and later follow OSCAL 1.2):
its pydantic models are generated from NIST's published JSON schema of the assessment-results
model, with its required fields, patterns (tokens, UUIDs, dates) and no unknown fields.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pydantic.v1 import ValidationError as V1ValidationError
from trestle.oscal import OSCAL_VERSION as TRESTLE_OSCAL_VERSION
from trestle.oscal.assessment_results import Model

from audits.engagements.oscal import OSCAL_VERSION, assessment_results
from tests.audits.engagements.conftest import World

ENGAGEMENT = {"id": 7, "name": "Demo audit", "start": "2026-01-01", "end": "2026-12-31", "description": ""}
WHEN = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def _validate(document: dict[str, Any]) -> Model:
    return Model.parse_obj(document)


def test_the_validator_is_of_the_oscal_1_1_line() -> None:
    assert TRESTLE_OSCAL_VERSION.startswith("1.1.")
    assert OSCAL_VERSION == TRESTLE_OSCAL_VERSION


def test_the_built_pack_validates(world: World, tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    call_command("build_pack", "Demo audit", "--output", str(out))
    with zipfile.ZipFile(out) as archive:
        document = json.loads(archive.read("oscal/assessment-results.json"))
    model = _validate(document)
    result = model.assessment_results.results[0]
    assert [f.target.target_id for f in result.findings or []] == ["ctl-1"]
    assert result.observations and result.observations[0].relevant_evidence


CONTROLS = [
    {
        "ref": "CTL-1",
        "title": "Policy review",
        "result": "pass",
        "tests": [{"performed_on": "2026-02-01", "result": "pass"}],
        "evidence": [{"path": "evidence/CTL-1/review minutes (v2).pdf", "title": "Review minutes"}],
    },
    {"ref": "5.1", "title": "Numbered like a clause", "result": "fail", "tests": [], "evidence": []},
    {"ref": "A 8.2 é", "title": "Spaces and accents", "result": "", "tests": [], "evidence": []},
    {"ref": "--", "title": "Nothing usable", "result": "partial", "tests": [], "evidence": []},
]


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: c["ref"])
def test_every_kind_of_control_reference_validates(control: dict[str, Any]) -> None:
    document = assessment_results(engagement=ENGAGEMENT, controls=[control], generated_at=WHEN, generator="Rampart")
    model = _validate(document)
    finding = (model.assessment_results.results[0].findings or [])[0]
    selected = model.assessment_results.results[0].reviewed_controls.control_selections[0]
    assert finding.target.target_id == (selected.include_controls or [])[0].control_id


def test_clause_numbers_become_tokens() -> None:
    document = assessment_results(engagement=ENGAGEMENT, controls=CONTROLS, generated_at=WHEN, generator="Rampart")
    targets = [f["target"]["target-id"] for f in document["assessment-results"]["results"][0]["findings"]]
    assert targets == ["ctl-1", "control-5.1", "a-8.2", "control"]


def test_an_empty_scope_validates() -> None:
    _validate(assessment_results(engagement=ENGAGEMENT, controls=[], generated_at=WHEN, generator="Rampart"))


def test_the_validator_rejects_what_the_schema_forbids() -> None:
    """The check can fail: a missing required field, an unknown field and a bad token are refused."""
    good = assessment_results(engagement=ENGAGEMENT, controls=CONTROLS[:1], generated_at=WHEN, generator="Rampart")
    missing = json.loads(json.dumps(good))
    del missing["assessment-results"]["results"][0]["observations"][0]["methods"]
    unknown = json.loads(json.dumps(good))
    unknown["assessment-results"]["results"][0]["verdict"] = "fine"
    bad_token = json.loads(json.dumps(good))
    bad_token["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] = "5.1"
    for document in (missing, unknown, bad_token):
        with pytest.raises(V1ValidationError):
            _validate(document)
