"""An engagement in progress for auditor_aude: framework F1 in scope, a control outside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audits.engagements.services import add_evidence, create_engagement
from audits.models import Engagement, Evidence
from governance.models import ComplianceException, Control, ControlTest, Framework, Requirement, Risk
from governance.scoping import hand_over_object_perms


@dataclass
class World:
    engagement: Engagement
    framework: Framework
    requirement: Requirement
    control: Control  # in scope (mapped to the framework's requirement), owned by owner_omar
    test: ControlTest
    outside_framework: Framework
    outside_requirement: Requirement
    outside_control: Control
    outside_test: ControlTest
    risk: Risk
    outside_risk: Risk
    exception: ComplianceException
    evidence: Evidence
    outside_evidence: Evidence


def upload(
    name: str = "report.pdf", data: bytes = b"%PDF-1.4 evidence\n", content_type: str = "application/pdf"
) -> Any:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def world(personas: Any) -> World:
    officer, omar, aude = personas["officer_olga"], personas["owner_omar"], personas["auditor_aude"]
    today = timezone.localdate()
    framework = Framework.objects.create(key="iso27001", name="ISO 27001")
    requirement = Requirement.objects.create(framework=framework, ref_id="A.5.1", title="Policies")
    other = Framework.objects.create(key="nis2", name="NIS2")
    other_requirement = Requirement.objects.create(framework=other, ref_id="21.2", title="Risk analysis")
    control = Control.objects.create(ref="CTL-1", title="Policy review", owner=omar)
    hand_over_object_perms(obj=control, previous=None, new=omar)
    control.requirements.add(requirement)
    outside = Control.objects.create(ref="CTL-9", title="Secret control", owner=omar)
    hand_over_object_perms(obj=outside, previous=None, new=omar)
    outside.requirements.add(other_requirement)
    test = ControlTest.objects.create(control=control, due_date=today)
    outside_test = ControlTest.objects.create(control=outside, due_date=today)
    risk = Risk.objects.create(ref="R-1", title="In-scope risk")
    risk.controls.add(control)
    outside_risk = Risk.objects.create(ref="R-9", title="Outside risk")
    outside_risk.controls.add(outside)
    exception = ComplianceException.objects.create(
        title="Excused", control=control, reason="legacy", requested_by=officer, expires_on=today + timedelta(days=30)
    )
    evidence = add_evidence(
        actor=omar, title="Review minutes", kind=Evidence.Kind.FILE, upload=upload(), controls=[control]
    )
    outside_evidence = add_evidence(
        actor=omar, title="Secret minutes", kind=Evidence.Kind.NOTE, note="secret", controls=[outside]
    )
    engagement = create_engagement(
        actor=officer,
        name="Demo audit",
        start=today - timedelta(days=10),
        end=today + timedelta(days=10),
        frameworks=[framework],
        auditors=[aude],
    )
    return World(
        engagement,
        framework,
        requirement,
        control,
        test,
        other,
        other_requirement,
        outside,
        outside_test,
        risk,
        outside_risk,
        exception,
        evidence,
        outside_evidence,
    )
