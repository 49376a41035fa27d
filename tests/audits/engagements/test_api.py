"""The API gives an auditor exactly what the pages give, and ends at the same moment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from tests.audits.engagements.conftest import World


def test_auditor_api_follows_scope_and_period(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    engagements = client.get("/api/v1/engagements/")
    assert engagements.status_code == 200
    assert [e["name"] for e in engagements.json()["results"]] == ["Demo audit"]
    evidence = client.get("/api/v1/evidence/").json()["results"]
    assert [e["id"] for e in evidence] == [world.evidence.pk]
    assert client.get(f"/api/v1/evidence/{world.outside_evidence.pk}/").status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        client = personas.client("auditor_aude")
        assert client.get("/api/v1/engagements/").status_code == 403
        assert client.get(f"/api/v1/evidence/{world.evidence.pk}/").status_code == 403
