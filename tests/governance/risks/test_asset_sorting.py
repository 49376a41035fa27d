"""Assets sort by criticality as a rank (low < medium < high < critical), never alphabetically."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from governance.models import Asset

pytestmark = pytest.mark.django_db

CR = Asset.Criticality
# Names in an order that is neither the rank nor the alphabet of the stored values.
ASSETS = [("Delta", CR.MEDIUM), ("Alpha", CR.CRITICAL), ("Echo", CR.LOW), ("Bravo", CR.HIGH), ("Charlie", CR.LOW)]
# Equal criticality keeps the order of creation (the list breaks ties by id).
ASCENDING = ["Echo", "Charlie", "Delta", "Bravo", "Alpha"]
DESCENDING = ["Alpha", "Bravo", "Delta", "Echo", "Charlie"]


@pytest.fixture
def assets(db: Any) -> None:
    for name, criticality in ASSETS:
        Asset.objects.create(name=name, criticality=criticality)


@pytest.mark.parametrize(("sort", "expected"), [("criticality", ASCENDING), ("-criticality", DESCENDING)])
def test_asset_page_sorts_by_criticality_rank(personas: Any, assets: None, sort: str, expected: list[str]) -> None:
    response = personas.client("it_ivan").get(reverse("governance:asset_list"), {"sort": sort})
    assert response.status_code == 200
    assert [a.name for a in response.context["listing"].page.object_list] == expected


@pytest.mark.parametrize(("sort", "expected"), [("criticality", ASCENDING), ("-criticality", DESCENDING)])
def test_asset_api_sorts_by_criticality_rank(personas: Any, assets: None, sort: str, expected: list[str]) -> None:
    response = personas.client("it_ivan").get("/api/v1/assets/", {"sort": sort})
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["results"]] == expected


def test_asset_csv_sorts_by_criticality_rank(personas: Any, assets: None) -> None:
    response = personas.client("it_ivan").get(reverse("governance:asset_export"), {"sort": "-criticality"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["Name"] for row in rows] == DESCENDING
    assert [row["Criticality"] for row in rows] == ["Critical", "High", "Medium", "Low", "Low"]
