"""The risk matrix settings: 3x3 to 5x5, labels, bands and colours, and the resize rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.errors import PermissionDeniedError
from governance.models import Risk, RiskMatrix
from governance.services.risks import update_risk_matrix
from tests.governance.risks.conftest import make_risk

pytestmark = pytest.mark.django_db

THREE = ["Low", "Medium", "High"]
BANDS_3 = [
    {"max_score": 2, "label": "Low", "colour": "#2e7d32"},
    {"max_score": 5, "label": "Medium", "colour": "#F9A825"},
    {"max_score": 9, "label": "High", "colour": "#c62828"},
]


def _update(actor: Any, **changes: Any) -> RiskMatrix:
    values: dict[str, Any] = {"size": 3, "likelihood_labels": THREE, "impact_labels": THREE, "bands": BANDS_3}
    values.update(changes)
    return update_risk_matrix(actor=actor, **values)


def test_a_3x3_matrix_with_its_own_labels_and_bands(personas: Any) -> None:
    matrix = _update(personas["officer_olga"])
    matrix.refresh_from_db()
    assert (matrix.size, matrix.likelihood_labels) == (3, THREE)
    assert matrix.bands[1] == {"max_score": 5, "label": "Medium", "colour": "#f9a825"}
    assert matrix.band_for(6)["label"] == "High"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"size": 2}, "size"),
        ({"size": 6}, "size"),
        ({"size": True}, "size"),
        ({"likelihood_labels": ["Low", "High"]}, "likelihood_labels"),
        ({"impact_labels": ["Low", "", "High"]}, "impact_labels"),
        ({"bands": []}, "bands"),
        ({"bands": [{"max_score": 4, "label": "Low", "colour": "#2e7d32"}]}, "bands"),  # does not reach 9
        ({"bands": [BANDS_3[1], BANDS_3[0], BANDS_3[2]]}, "bands"),  # not ascending
        ({"bands": [{**BANDS_3[0], "colour": "red;}body{display:none"}, *BANDS_3[1:]]}, "bands"),
        ({"bands": [{"max_score": 9, "label": "All"}]}, "bands"),
        ({"bands": [{"max_score": i, "label": str(i), "colour": "#000000"} for i in range(1, 10)]}, "bands"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(personas: Any, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _update(personas["officer_olga"], **changes)
    assert list(caught.value.message_dict) == [field]
    assert RiskMatrix.objects.get(pk=1).size == 5


def test_shrinking_is_refused_while_risks_sit_above_the_new_size(personas: Any) -> None:
    make_risk("RSK-1", inherent=(4, 2), residual=(1, 1))
    make_risk("RSK-2", inherent=(2, 2), residual=(1, 5))
    make_risk("RSK-3", inherent=(3, 3), residual=(3, 3))
    with pytest.raises(ValidationError) as caught:
        _update(personas["officer_olga"])
    assert caught.value.message_dict["size"] == [
        "2 risks are rated above 3 for likelihood or impact. "
        "Re-rate them on the 3x3 scale first, or keep the larger matrix."
    ]
    assert RiskMatrix.objects.get(pk=1).size == 5
    # Growing, or shrinking to a size every risk fits in, is fine.
    four = ["1", "2", "3", "4"]
    bands_4 = [{"max_score": 16, "label": "All", "colour": "#123456"}]
    with pytest.raises(ValidationError):
        _update(personas["officer_olga"], size=4, likelihood_labels=four, impact_labels=four, bands=bands_4)
    Risk.objects.filter(ref="RSK-2").delete()  # the one rated 5 on residual impact
    matrix = _update(personas["officer_olga"], size=4, likelihood_labels=four, impact_labels=four, bands=bands_4)
    assert matrix.size == 4


def test_only_risk_matrix_managers_may_change_it(personas: Any) -> None:
    for name in ("it_ivan", "owner_omar", "employee_emil"):
        with pytest.raises(PermissionDeniedError):
            _update(personas[name])


def test_settings_page_round_trip(personas: Any) -> None:
    client = personas.client("officer_olga")
    url = reverse("governance:risk_matrix")
    page = client.get(url)
    assert page.status_code == 200
    assert "4 | Low | #2e7d32" in page.content.decode()
    response = client.post(
        url,
        {
            "size": "3",
            "likelihood_labels": "Low\nMedium\nHigh",
            "impact_labels": "Low\nMedium\nHigh",
            "bands": "2 | Low | #2e7d32\n5 | Medium | #f9a825\n9 | High | #c62828",
        },
    )
    assert response.status_code == 302
    assert RiskMatrix.objects.get(pk=1).size == 3
    bad = client.post(url, {"size": "4", "likelihood_labels": "a\nb", "impact_labels": "a\nb\nc\nd", "bands": "x"})
    assert bad.status_code == 400
    assert "highest score | label | #colour" in bad.content.decode()
    assert personas.client("it_ivan").get(url).status_code == 403


# --- API ---

API = "/api/v1/risk-matrix/"


def test_the_api_reads_the_matrix_for_everyone_using_the_register(personas: Any) -> None:
    _update(personas["officer_olga"])
    body = personas.client("owner_omar").get(API).json()
    assert (body["size"], body["likelihood_labels"], body["impact_labels"]) == (3, THREE, THREE)
    assert [b["label"] for b in body["bands"]] == ["Low", "Medium", "High"]
    assert personas.client("auditor_aude").get(API).status_code == 403


def test_the_api_replaces_the_matrix_and_leaves_an_audit_entry(personas: Any) -> None:
    from audits.models import LogEntry

    before = LogEntry.objects.count()
    payload = {"size": 3, "likelihood_labels": THREE, "impact_labels": THREE, "bands": BANDS_3}
    response = personas.client("officer_olga").put(API, payload, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["bands"][1]["colour"] == "#f9a825"
    assert RiskMatrix.objects.get().size == 3
    entry = LogEntry.objects.order_by("-pk").first()
    assert LogEntry.objects.count() > before and entry is not None
    assert entry.actor == personas["officer_olga"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"size": 7}, "size"),
        ({"likelihood_labels": ["Low", "High"]}, "likelihood_labels"),
        ({"bands": [{"max_score": 9, "label": "All", "colour": "red"}]}, "bands"),
        ({"bands": "high"}, "bands"),
    ],
)
def test_bad_matrix_input_in_the_api_is_a_400_naming_the_field(
    personas: Any, changes: dict[str, Any], field: str
) -> None:
    payload = {"size": 3, "likelihood_labels": THREE, "impact_labels": THREE, "bands": BANDS_3, **changes}
    response = personas.client("officer_olga").put(API, payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert RiskMatrix.objects.get().size == 5


def test_the_api_refuses_to_strand_risks_and_a_reader_may_not_replace(personas: Any) -> None:
    make_risk("RSK-0001", inherent=(5, 5), residual=(4, 4))
    payload = {"size": 3, "likelihood_labels": THREE, "impact_labels": THREE, "bands": BANDS_3}
    refused = personas.client("officer_olga").put(API, payload, content_type="application/json")
    assert refused.status_code == 400 and "rated above 3" in refused.json()["size"][0]
    assert personas.client("it_ivan").put(API, payload, content_type="application/json").status_code == 403
    assert RiskMatrix.objects.get().size == 5
