"""Every API list takes ?page_size= (1 to 500) and refuses anything else, naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest

from governance.models import Asset
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def assets() -> None:
    Asset.objects.bulk_create(Asset(name=f"System {i:03d}") for i in range(60))


def test_page_size_is_honoured_and_the_default_stays_50(personas: Personas, assets: Any) -> None:
    client = personas.client("it_ivan")
    assert len(client.get("/api/v1/assets/").json()["results"]) == 50
    body = client.get("/api/v1/assets/", {"page_size": 7, "page": 2}).json()
    assert [row["name"] for row in body["results"]] == [f"System {i:03d}" for i in range(7, 14)]
    assert body["count"] == 60
    assert "page_size=7" in body["next"]
    assert len(client.get("/api/v1/assets/", {"page_size": 500}).json()["results"]) == 60


@pytest.mark.parametrize("value", ["0", "501", "-3", "abc", "9" * 30, "2.5"])
def test_a_page_size_out_of_bounds_is_a_400(personas: Personas, assets: Any, value: str) -> None:
    response = personas.client("it_ivan").get("/api/v1/assets/", {"page_size": value})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_the_schema_documents_page_size_on_lists(personas: Personas) -> None:
    schema = personas.client("it_ivan").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/v1/assets/", "/api/v1/risks/", "/api/v1/audit-entries/", "/api/v1/job-runs/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert "page_size" in names, path
