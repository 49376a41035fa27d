"""Heat map: counts per cell in both views, cell links that list exactly those risks."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.filters import risk_heat_map
from governance.models import Risk
from tests.governance.risks.conftest import make_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_risks(personas: Any) -> dict[str, Risk]:
    omar = personas["owner_omar"]
    return {
        "a": make_risk("RSK-A", inherent=(3, 4), residual=(2, 2)),
        "b": make_risk("RSK-B", inherent=(3, 4), residual=(1, 2), owner=omar),
        "c": make_risk("RSK-C", inherent=(5, 5), residual=(2, 2)),
        "d": make_risk("RSK-D", inherent=(1, 1), residual=(1, 1)),
        "closed": make_risk("RSK-X", inherent=(3, 4), residual=(2, 2), status=Risk.Status.CLOSED),
    }


def heat_map(user: Any, view: str, params: dict[str, str]) -> Any:
    heat, errors = risk_heat_map(user, view, params)
    assert errors == {}
    return heat


def _counts(heat: Any) -> dict[tuple[int, int], int]:
    return {(c.likelihood, c.impact): c.count for _, _, cells in heat.rows for c in cells if c.count}


def test_inherent_and_residual_counts(personas: Any, known_risks: Any) -> None:
    olga = personas["officer_olga"]
    inherent = heat_map(olga, "inherent", {"status": "open"})
    assert _counts(inherent) == {(3, 4): 2, (5, 5): 1, (1, 1): 1}
    assert inherent.total == 4
    residual = heat_map(olga, "residual", {"status": "open"})
    assert _counts(residual) == {(2, 2): 2, (1, 2): 1, (1, 1): 1}
    everything = heat_map(olga, "inherent", {})
    assert _counts(everything)[(3, 4)] == 3


def test_grid_is_size_by_size_with_bands_and_labels(personas: Any, known_risks: Any) -> None:
    heat = heat_map(personas["officer_olga"], "inherent", {})
    assert [level for level, _, _ in heat.rows] == [5, 4, 3, 2, 1]
    assert all(len(cells) == 5 for _, _, cells in heat.rows)
    cell = heat.cell(3, 4)
    assert (cell.score, cell.band_label, cell.band_index) == (12, "High", 2)
    assert heat.cell(1, 1).band_label == "Low"
    assert heat.cell(5, 5).band_label == "Critical"
    assert cell.aria_label == "Likelihood 3 (Possible) x Impact 4 (Major): 3 risks"
    assert heat.cell(5, 5).aria_label.endswith(": 1 risk")


def test_counts_take_one_aggregate_query(personas: Any, known_risks: Any) -> None:
    olga = personas["officer_olga"]
    olga.has_perm("governance.view_risk")  # warm the permission cache
    with CaptureQueriesContext(connection) as queries:
        heat_map(olga, "residual", {"status": "open"})
    risk_queries = [q["sql"] for q in queries.captured_queries if '"governance_risk"' in q["sql"]]
    assert len(risk_queries) == 1, risk_queries
    assert len(queries.captured_queries) == 2  # the matrix, then the counts
    assert "GROUP BY" in risk_queries[0].upper()


def test_a_control_owner_counts_only_their_risks(personas: Any, known_risks: Any) -> None:
    heat = heat_map(personas["owner_omar"], "inherent", {})
    assert _counts(heat) == {(3, 4): 1}


def _risk_refs(response: Any) -> list[str]:
    return re.findall(r'href="/governance/risks/\d+/">(RSK-[A-Z0-9]+)</a>', response.content.decode())


@pytest.mark.parametrize(
    ("view", "likelihood", "impact", "expected"),
    [
        ("inherent", 3, 4, ["RSK-A", "RSK-B"]),
        ("residual", 2, 2, ["RSK-A", "RSK-C"]),
    ],
)
def test_a_cell_link_lists_exactly_its_risks(
    personas: Any, known_risks: Any, view: str, likelihood: int, impact: int, expected: list[str]
) -> None:
    client = personas.client("officer_olga")
    page = client.get(reverse("governance:risk_heatmap"), {"view": view})
    assert page.status_code == 200
    html = page.content.decode()
    links = {
        unescape(label): unescape(href) for href, label in re.findall(r'<a href="([^"]+)" aria-label="([^"]+)"', html)
    }
    label = next(k for k in links if k.startswith(f"Likelihood {likelihood} (") and f"x Impact {impact} (" in k)
    assert label.endswith(f": {len(expected)} risks")
    url = links[label]
    assert f"view={view}" in url and f"likelihood={likelihood}" in url and "status=open" in url
    listed = client.get(url)
    assert listed.status_code == 200
    assert sorted(_risk_refs(listed)) == expected
    assert "Showing the heat-map cell" in listed.content.decode()


def test_heat_map_page_uses_classes_not_inline_styles(personas: Any, known_risks: Any) -> None:
    html = personas.client("officer_olga").get(reverse("governance:risk_heatmap")).content.decode()
    assert "style=" not in html
    assert "heat-band-3" in html and "<script>" not in html
    css = personas.client("officer_olga").get(reverse("governance:risk_matrix_css"))
    assert css["Content-Type"].startswith("text/css")
    assert ".heat-band-3 { background-color: #c62828; color: #fff; }" in css.content.decode()


def test_api_heat_map(personas: Any, known_risks: Any) -> None:
    response = personas.client("officer_olga").get("/api/v1/risk-heatmap/", {"view": "residual", "status": "open"})
    assert response.status_code == 200
    body = response.json()
    assert (body["view"], body["size"], body["total"]) == ("residual", 5, 4)
    cells = {(c["likelihood"], c["impact"]): c for c in body["cells"]}
    assert len(cells) == 25
    assert cells[(2, 2)]["count"] == 2
    assert "view=residual" in cells[(2, 2)]["url"]


@pytest.mark.parametrize(
    "params",
    [
        {"view": "sideways"},
        {"likelihood": "x", "impact": "4"},
        {"likelihood": "9", "impact": "9"},
        {"band": "17"},
        {"owner": "abc"},
    ],
)
def test_bad_parameters_never_give_a_500(personas: Any, known_risks: Any, params: dict[str, str]) -> None:
    client = personas.client("officer_olga")
    assert client.get(reverse("governance:risk_heatmap"), params).status_code == 200
    listed = client.get(reverse("governance:risk_list"), params)
    assert listed.status_code == 200
    # An unusable cell is ignored: the whole register is listed.
    assert len(_risk_refs(listed)) == 5
