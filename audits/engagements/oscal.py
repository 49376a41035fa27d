"""An OSCAL 1.1 ``assessment-results`` document for an engagement (JSON model).

Built from plain data: the engagement, the controls in scope with their latest test, and
the evidence requests. Each control becomes an observation (its tests and evidence) and a
finding whose target says whether it is satisfied; UUIDs are derived from stable
references, so rebuilding a pack gives the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

OSCAL_VERSION = "1.1.3"  # the version of the schema the tests validate against (compliance-trestle 3.x)
_NAMESPACE = uuid.UUID("0b6b3c84-6c51-4f0e-9a55-7e7d3b0a8c11")


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def _control_id(ref: str) -> str:
    """An OSCAL token for a control reference: lower-case ASCII letters, digits, ``-``, ``_`` and ``.``.

    A token must start with a letter or ``_`` (the schema's pattern), so a reference that starts
    otherwise (``5.1``) is prefixed: ``control-5.1``.
    """
    kept = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-" for ch in ref.lower())
    token = kept.strip("-")
    if not token:
        return "control"
    return token if token[0].isalpha() or token[0] == "_" else f"control-{token}"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def assessment_results(
    *,
    engagement: dict[str, Any],
    controls: Sequence[dict[str, Any]],
    generated_at: datetime,
    generator: str,
) -> dict[str, Any]:
    """``engagement``: id, name, start, end, description; ``controls``: ref, title, result, tests, evidence."""
    key = f"engagement-{engagement['id']}"
    start = datetime.fromisoformat(f"{engagement['start']}T00:00:00+00:00")
    end = datetime.fromisoformat(f"{engagement['end']}T23:59:59+00:00")
    observations = []
    findings = []
    for control in controls:
        ref = control["ref"]
        observation_uuid = _uuid(key, "observation", ref)
        tests = control.get("tests", [])
        described = "; ".join(
            f"{t.get('performed_on') or t.get('due_date')}: {t.get('result') or 'not performed'}" for t in tests
        )
        observation: dict[str, Any] = {
            "uuid": observation_uuid,
            "title": f"Tests of {ref}",
            "description": f"Control {ref} ({control['title']}). Tests: {described or 'none recorded'}.",
            "methods": ["TEST"] if tests else ["EXAMINE"],
            "collected": _stamp(generated_at),
        }
        links = [
            {"href": item["path"], "rel": "evidence", "text": item["title"]}
            for item in control.get("evidence", [])
            if item.get("path")
        ]
        if links:
            observation["relevant-evidence"] = [{"href": link["href"], "description": link["text"]} for link in links]
        observations.append(observation)
        satisfied = control.get("result") == "pass"
        findings.append(
            {
                "uuid": _uuid(key, "finding", ref),
                "title": f"{ref}: {control['title']}",
                "description": f"Latest test result: {control.get('result') or 'none'}.",
                "target": {
                    "type": "objective-id",
                    "target-id": _control_id(ref),
                    "status": {"state": "satisfied" if satisfied else "not-satisfied"},
                },
                "related-observations": [{"observation-uuid": observation_uuid}],
            }
        )
    result: dict[str, Any] = {
        "uuid": _uuid(key, "result"),
        "title": f"Results of {engagement['name']}",
        "description": engagement.get("description") or f"Assessment results of {engagement['name']}.",
        "start": _stamp(start),
        "end": _stamp(end),
        "reviewed-controls": {
            "control-selections": [
                {"include-controls": [{"control-id": _control_id(c["ref"])} for c in controls]}
                if controls
                else {"include-all": {}}
            ]
        },
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    return {
        "assessment-results": {
            "uuid": _uuid(key, "assessment-results", _stamp(generated_at)),
            "metadata": {
                "title": f"{engagement['name']}: assessment results",
                "last-modified": _stamp(generated_at),
                "version": _stamp(generated_at),
                "oscal-version": OSCAL_VERSION,
                "props": [{"name": "generator", "value": generator}],
            },
            "import-ap": {"href": f"#{_uuid(key, 'assessment-plan')}"},
            "results": [result],
        }
    }
