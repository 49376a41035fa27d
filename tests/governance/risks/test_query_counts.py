"""Every list costs the same number of queries with 1 row and with 50 (pages and API)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.models import Asset, ComplianceException, Control, Finding, Framework, Requirement, Risk
from governance.scoping import hand_over_object_perms
from tests.governance.risks.conftest import in_days

pytestmark = pytest.mark.django_db


def _risks(n: int, personas: Any, tag: str) -> None:
    omar = personas["owner_omar"]
    control = Control.objects.create(ref=f"CTL-Q{tag}", title="Control")
    asset_a = Asset.objects.create(name=f"Asset A{tag}", owner=personas["it_ivan"])
    asset_b = Asset.objects.create(name=f"Asset B{tag}")
    for i in range(n):
        risk = Risk.objects.create(
            ref=f"RSK-Q{tag}{i:03d}",
            title=f"Risk {i}",
            owner=omar,
            inherent_likelihood=1 + i % 5,
            inherent_impact=1 + (i // 5) % 5,
            residual_likelihood=1,
            residual_impact=1 + i % 3,
            treatment=Risk.Treatment.ACCEPT if i % 2 else Risk.Treatment.MITIGATE,
            accepted_by=personas["officer_olga"] if i % 2 else None,
            acceptance_expires_on=in_days(30) if i % 2 else None,
            review_date=in_days(i),
        )
        risk.assets.set([asset_a, asset_b])
        risk.controls.set([control])
        hand_over_object_perms(obj=risk, previous=None, new=omar)


def _assets(n: int, personas: Any, tag: str) -> None:
    for i in range(n):
        asset = Asset.objects.create(name=f"System {tag}{i:03d}", owner=personas["it_ivan"] if i % 2 else None)
        risk = Risk.objects.create(ref=f"RSK-A{tag}{i:03d}", title="r")
        risk.assets.add(asset)


def _exceptions(n: int, personas: Any, tag: str) -> None:
    framework = Framework.objects.create(key=f"fw{tag}", name="Framework")
    requirement = Requirement.objects.create(framework=framework, ref_id="R1", title="Requirement")
    control = Control.objects.create(ref=f"CTL-E{tag}", title="Control")
    for i in range(n):
        ComplianceException.objects.create(
            title=f"Exception {i}",
            requirement=requirement if i % 2 else None,
            control=control,
            reason="r",
            requested_by=personas["officer_olga"],
            approver=personas["admin_alice"] if i % 3 else None,
            decided_at=timezone.now() if i % 3 else None,
            status=ComplianceException.Status.APPROVED if i % 3 else ComplianceException.Status.REQUESTED,
            expires_on=in_days(10 + i),
        )


def _findings(n: int, personas: Any, tag: str) -> None:
    framework = Framework.objects.create(key=f"fwf{tag}", name="Framework")
    requirement = Requirement.objects.create(framework=framework, ref_id="R1", title="Requirement")
    control = Control.objects.create(ref=f"CTL-F{tag}", title="Control")
    risk = Risk.objects.create(ref=f"RSK-F{tag}", title="Risk")
    for i in range(n):
        Finding.objects.create(
            title=f"Finding {i}",
            control=control,
            requirement=requirement,
            risk=risk if i % 2 else None,
            owner=personas["it_ivan"],
            raised_by=personas["officer_olga"],
            due_date=in_days(i),
        )


CASES: list[tuple[str, str, str, Callable[[int, Any, str], None]]] = [
    ("risk page", "officer_olga", "governance:risk_list", _risks),
    ("risk page, owner-scoped", "owner_omar", "governance:risk_list", _risks),
    ("risk CSV", "officer_olga", "governance:risk_export", _risks),
    ("asset page", "it_ivan", "governance:asset_list", _assets),
    ("asset CSV", "it_ivan", "governance:asset_export", _assets),
    ("exception page", "officer_olga", "governance:exception_list", _exceptions),
    ("exception CSV", "officer_olga", "governance:exception_export", _exceptions),
    ("finding page", "officer_olga", "governance:finding_list", _findings),
    ("finding CSV", "officer_olga", "governance:finding_export", _findings),
    ("risk API", "officer_olga", "/api/v1/risks/", _risks),
    ("risk API, owner-scoped", "owner_omar", "/api/v1/risks/", _risks),
    ("asset API", "it_ivan", "/api/v1/assets/", _assets),
    ("exception API", "officer_olga", "/api/v1/exceptions/", _exceptions),
    ("finding API", "officer_olga", "/api/v1/findings/", _findings),
]


def _get(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)


@pytest.mark.parametrize(("label", "persona", "target", "make"), CASES, ids=[c[0] for c in CASES])
def test_same_queries_for_1_and_50_rows(
    personas: Any, django_assert_num_queries: Any, label: str, persona: str, target: str, make: Any
) -> None:
    url = target if target.startswith("/") else reverse(target)
    client = personas.client(persona)
    make(1, personas, "one")
    _get(client, url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as one_row:
        _get(client, url)
    make(49, personas, "many")
    with django_assert_num_queries(len(one_row.captured_queries)):
        _get(client, url)


# CSV exports stream their rows: the body is read inside the count, and every row must be there.
CSV_CASES: list[tuple[str, str, str, Callable[[int, Any, str], None], type[Model]]] = [
    ("risk CSV", "officer_olga", "governance:risk_export", _risks, Risk),
    ("risk CSV, owner-scoped", "owner_omar", "governance:risk_export", _risks, Risk),
    ("asset CSV", "it_ivan", "governance:asset_export", _assets, Asset),
    ("exception CSV", "officer_olga", "governance:exception_export", _exceptions, ComplianceException),
    ("finding CSV", "officer_olga", "governance:finding_export", _findings, Finding),
]


def _csv_rows(client: Any, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200
    return len(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))) - 1


@pytest.mark.parametrize(("label", "persona", "target", "make", "model"), CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_exports_read_every_row_with_the_same_queries(
    personas: Any, label: str, persona: str, target: str, make: Any, model: type[Model]
) -> None:
    url = reverse(target)
    client = personas.client(persona)
    make(1, personas, "one")
    _csv_rows(client, url)  # warm up: session, content types
    with CaptureQueriesContext(connection) as one_row:
        rows_with_one = _csv_rows(client, url)
    make(49, personas, "many")
    with CaptureQueriesContext(connection) as many_rows:
        rows_with_many = _csv_rows(client, url)
    assert rows_with_many == model.objects.count() >= 50 > rows_with_one
    assert len(many_rows.captured_queries) == len(one_row.captured_queries), label
