"""Scale data for the evidence and request lists: counts per factor, links, expiry, idempotence."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from audits.engagements import seed_scale
from audits.models import Engagement, Evidence, EvidenceRequest
from core.seeding import SeedContext
from governance.models import Control

pytestmark = pytest.mark.django_db


def _ctx(factor: int) -> SeedContext:
    return SeedContext(write=lambda _: None, factor=factor)


def test_scale_evidence_and_requests_are_linked_to_the_scale_controls_and_idempotent(
    personas: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(seed_scale, "EVIDENCE_PER_FACTOR", 30)
    monkeypatch.setattr(seed_scale, "REQUESTS_PER_FACTOR", 8)
    monkeypatch.setattr(seed_scale, "CHUNK", 7)  # several chunks
    omar = personas["owner_omar"]
    controls = [Control.objects.create(ref=f"SCL-{n:05d}", title=f"Scale {n}", owner=omar) for n in range(3)]
    Control.objects.create(ref="CTL-1", title="Not a scale control")

    for _ in range(2):
        seed_scale.seed_scale_evidence(_ctx(2))
        seed_scale.seed_scale_requests(_ctx(2))

    evidence = Evidence.objects.filter(title__startswith=seed_scale.TITLE_PREFIX)
    assert evidence.count() == 60
    assert Evidence.controls.through.objects.filter(evidence__in=evidence).count() == 60
    assert {c.evidence.count() for c in controls} == {20}
    assert evidence.filter(valid_until__lt=timezone.localdate()).count() == 6  # one in ten expired
    assert set(evidence.values_list("kind", flat=True)) == {Evidence.Kind.NOTE, Evidence.Kind.LINK}
    engagement = Engagement.objects.get(name=seed_scale.SCALE_ENGAGEMENT)
    assert engagement.requests.count() == 16
    assert set(engagement.requests.values_list("status", flat=True)) == set(EvidenceRequest.Status.values)
    assert set(engagement.requests.values_list("owner", flat=True)) == {omar.pk}
