"""The frameworks API list takes the Frameworks page's search, filters and sorting; bad values are 400s."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from governance.models import Framework
from governance.services.frameworks import import_framework
from tests.conftest import Personas
from tests.governance.frameworks.files import CSV_V1, YAML_V1, oscal_bytes, oscal_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(personas: Personas) -> dict[str, Framework]:
    """A YAML framework owned by Omar, a CSV one owned by Olga, an OSCAL one without owner."""
    olga = personas["officer_olga"]
    catalog = oscal_catalog()
    catalog["catalog"]["metadata"]["title"] = "Zeta catalog"  # names that sort alike under every collation
    catalog["catalog"]["metadata"]["remarks"] = "Only in the description."
    frameworks = {
        "yaml": import_framework(actor=olga, data=YAML_V1.encode(), filename="b.yaml").framework,
        "csv": import_framework(actor=olga, data=CSV_V1.encode(), filename="b.csv").framework,
        "oscal": import_framework(actor=olga, data=oscal_bytes(catalog), filename="c.json").framework,
    }
    Framework.objects.filter(pk=frameworks["yaml"].pk).update(owner=personas["owner_omar"])
    Framework.objects.filter(pk=frameworks["csv"].pk).update(owner=olga)
    return frameworks


def _keys(client: Any, **params: Any) -> list[str]:
    response = client.get(reverse("framework-list"), params)
    assert response.status_code == 200, response.content
    return [row["key"] for row in response.json()["results"]]


def test_filters_of_the_page(personas: Personas, three: dict[str, Framework]) -> None:
    client = personas.client("officer_olga")
    assert _keys(client) == ["csv-baseline", "test-baseline", "zeta-catalog"]  # by name
    assert _keys(client, source="oscal") == ["zeta-catalog"]
    assert _keys(client, owner=personas["owner_omar"].pk) == ["test-baseline"]
    assert _keys(client, owner=personas["officer_olga"].pk, source="yaml") == []
    assert _keys(client, q="Tests") == ["test-baseline"]  # the publisher is searched, as on the page
    assert _keys(client, q="IN THE DESCRIPTION") == ["zeta-catalog"]  # and the description


def test_sort(personas: Personas, three: dict[str, Framework]) -> None:
    client = personas.client("officer_olga")
    assert _keys(client, sort="-name") == ["zeta-catalog", "test-baseline", "csv-baseline"]
    assert _keys(client, sort="version") == ["test-baseline", "csv-baseline", "zeta-catalog"]
    # Requirements (not sections): CSV 3, YAML 4, OSCAL 4; ties are broken by id.
    yaml_pk, oscal_pk = three["yaml"].pk, three["oscal"].pk
    tied = ["test-baseline", "zeta-catalog"] if yaml_pk < oscal_pk else ["zeta-catalog", "test-baseline"]
    assert _keys(client, sort="requirements") == ["csv-baseline", *tied]
    assert _keys(client, sort="-key") == ["zeta-catalog", "test-baseline", "csv-baseline"]
    # ``sort``, the name the page and the other list endpoints use, means the same.


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"source": "word"}, "source"),
        ({"owner": "olga"}, "owner"),
        ({"owner": "0"}, "owner"),
        ({"sort": "owner"}, "sort"),
        ({"sort": "--name"}, "sort"),
        ({"sort": "password"}, "sort"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(
    personas: Personas, three: dict[str, Framework], params: dict[str, str], field: str
) -> None:
    response = personas.client("officer_olga").get(reverse("framework-list"), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_filters_keep_to_what_the_caller_may_see(personas: Personas, three: dict[str, Framework]) -> None:
    """Employees may not list frameworks at all, filtered or not."""
    response = personas.client("employee_emil").get(reverse("framework-list"), {"source": "yaml"})
    assert response.status_code == 403


def test_filtered_and_sorted_list_costs_the_same_with_1_and_many_rows(personas: Personas) -> None:
    client = personas.client("officer_olga")
    params = {"source": "yaml", "q": "Framework", "sort": "-requirements"}

    def make(start: int, stop: int) -> None:
        for i in range(start, stop):
            data = f"framework: {{key: fw-{i}, name: Framework {i}}}\nrequirements:\n  - {{ref_id: R, title: R}}\n"
            import_framework(actor=personas["officer_olga"], data=data.encode(), filename="f.yaml")

    def queries() -> int:
        client.get(reverse("framework-list"), params)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("framework-list"), params).status_code == 200
        return len(ctx.captured_queries)

    make(0, 1)
    one = queries()
    make(1, 30)
    assert queries() == one
    assert len(_keys(client, **params)) == 30


def test_the_schema_documents_the_parameters() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/frameworks/"]["get"]["parameters"]}
    assert {"q", "source", "owner", "sort"} <= set(parameters)
    assert set(parameters["source"]["schema"]["enum"]) == {"yaml", "csv", "oscal", "manual"}
    assert {"name", "-name", "requirements", "-imported"} <= set(parameters["sort"]["schema"]["enum"])
    assert parameters["owner"]["schema"]["type"] == "integer"
    allow_older = schema["components"]["schemas"]["ImportInputRequest"]["properties"]["allow_older"]
    assert allow_older["type"] == "boolean"
