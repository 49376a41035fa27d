"""Type-ahead pickers: the people and asset search endpoints, and pages that stay small.

With hundreds of users and assets, no governance list or form may render an ``<option>``
per user or asset; filters keep taking ids (``?owner=3``, ``?asset=12``); forms still
validate the posted ids on the server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import Role, User
from core.pickers import PICKER_LIMIT
from governance.models import Asset, Control, ControlTest, Finding, Risk
from governance.scoping import hand_over_object_perms

pytestmark = pytest.mark.django_db

PEOPLE = "governance:people_search"
ASSETS = "governance:asset_search"
CONTROLS = "governance:control_search"


def _search(client: Any, name: str, **params: Any) -> Any:
    return client.get(reverse(name), params)


def _values(html: str) -> list[str]:
    return re.findall(r'<option value="(\d+)"', html) + re.findall(r'type="checkbox" name="\w+" value="(\d+)"', html)


def _options(html: str) -> int:
    return html.count("<option")


def _people(n: int, prefix: str = "user", *, role: str | None = None, active: bool = True) -> list[User]:
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i:04d}@example.test", full_name=f"{prefix.capitalize()} {i:04d}", is_active=active)
        for i in range(n)
    )
    if role is not None:
        Group.objects.get(name=role).user_set.add(*users)
    return users


def _assets(n: int, owners: list[User] | None = None) -> list[Asset]:
    return Asset.objects.bulk_create(
        Asset(name=f"System {i:04d}", owner=owners[i % len(owners)] if owners else None) for i in range(n)
    )


# --- people search ---


def test_people_search_finds_active_users_by_email_or_name(personas: Any) -> None:
    _people(3, "carol")
    _people(2, "carol-gone", active=False)
    client = personas.client("officer_olga")
    by_email = _search(client, PEOPLE, q="carol0001@")
    assert by_email.status_code == 200
    assert "Carol 0001 &lt;carol0001@example.test&gt;" in by_email.content.decode()
    by_name = _search(client, PEOPLE, q="CAROL 000").content.decode()
    assert len(_values(by_name)) == 3  # the inactive ones are never offered
    assert "carol-gone" not in by_name


def test_people_search_returns_at_most_the_limit_and_says_there_are_more(personas: Any) -> None:
    _people(PICKER_LIMIT + 5, "many")
    html = _search(personas.client("admin_alice"), PEOPLE, q="many", blank="any").content.decode()
    assert len(_values(html)) == PICKER_LIMIT
    assert "type more" in html
    assert '<option value="">Any</option>' in html


def test_people_search_keeps_the_chosen_person_selected_and_not_twice(personas: Any) -> None:
    dana = _people(1, "dana")[0]
    html = _search(
        personas.client("officer_olga"), PEOPLE, q="dana", field="owner", owner=str(dana.pk)
    ).content.decode()
    assert html.count(f'value="{dana.pk}"') == 1
    assert f'<option value="{dana.pk}" selected>' in html


def test_people_search_narrows_to_control_owners(personas: Any) -> None:
    client = personas.client("officer_olga")
    owners = _values(_search(client, PEOPLE, q="example", among="control-owners").content.decode())
    expected = {personas[p].pk for p in ("admin_alice", "officer_olga", "owner_omar")}
    assert {int(v) for v in owners} == expected


def test_a_control_owner_finds_only_himself(personas: Any) -> None:
    html = _search(personas.client("owner_omar"), PEOPLE, q="example").content.decode()
    assert _values(html) == [str(personas["owner_omar"].pk)]
    assert "Olga" not in html
    # Nor does he learn a name by passing its id as the chosen value.
    olga = personas["officer_olga"].pk
    html = _search(personas.client("owner_omar"), PEOPLE, q="", field="owner", owner=str(olga)).content.decode()
    assert "Olga" not in html


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil"])
@pytest.mark.parametrize("endpoint", [PEOPLE, ASSETS, CONTROLS])
def test_people_without_a_use_for_pickers_are_refused(personas: Any, persona: str, endpoint: str) -> None:
    assert _search(personas.client(persona), endpoint, q="a").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get(reverse(PEOPLE), {"q": "a"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:login"))


@pytest.mark.parametrize(
    "params",
    [
        {"q": "car\x00ol"},
        {"q": "x" * 100_000},
        {"q": "a", "field": "q", "q_extra": "1"},
        {"q": "a", "field": "<script>", "blank": "<b>evil</b>", "extra": "drop"},
        {"q": "a", "field": "owner", "owner": ["abc", "1\x00", "-3", "9" * 40, "", "٣"]},
        {"q": "a", "among": "\x00" * 5, "active": "yes please"},
    ],
    ids=["nul", "huge", "reserved-field", "bad-names", "bad-ids", "bad-options"],
)
def test_bad_input_is_cleaned_never_a_500(personas: Any, params: dict[str, Any]) -> None:
    _people(2, "carol")
    for endpoint in (PEOPLE, ASSETS, CONTROLS):
        response = _search(personas.client("officer_olga"), endpoint, **params)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<script>" not in html
        assert "<b>evil</b>" not in html


# --- asset search ---


def test_asset_search_finds_by_name_or_kind(personas: Any) -> None:
    Asset.objects.create(name="Payroll", kind=Asset.Kind.HR)
    Asset.objects.create(name="Website", kind=Asset.Kind.OTHER)
    client = personas.client("it_ivan")
    assert "Payroll" in _search(client, ASSETS, q="payr").content.decode()
    by_kind = _search(client, ASSETS, q=str(Asset.Kind.HR.label)[:4]).content.decode()
    assert "Payroll" in by_kind
    assert "Website" not in by_kind


def test_asset_search_for_forms_leaves_out_inactive_assets(personas: Any) -> None:
    Asset.objects.create(name="Old fax", is_active=False)
    client = personas.client("officer_olga")
    assert "Old fax" in _search(client, ASSETS, q="fax").content.decode()
    assert "Old fax" not in _search(client, ASSETS, q="fax", active="1").content.decode()


def test_a_risk_owner_finds_only_the_assets_of_his_risks(personas: Any) -> None:
    omar = personas["owner_omar"]
    mine = Asset.objects.create(name="Omar's laptop fleet")
    secret = Asset.objects.create(name="Secret merger data room")
    risk = Risk.objects.create(ref="RSK-OM", title="Lost laptop", owner=omar)
    risk.assets.add(mine)
    hand_over_object_perms(obj=risk, previous=None, new=omar)
    other = Risk.objects.create(ref="RSK-OT", title="Leak", owner=personas["officer_olga"])
    other.assets.add(secret)
    client = personas.client("owner_omar")
    html = _search(client, ASSETS, q="").content.decode()
    assert "laptop fleet" in html
    assert "merger" not in html
    chosen = _search(client, ASSETS, q="", field="asset", asset=str(secret.pk)).content.decode()
    assert "merger" not in chosen
    # The register's asset filter does not label it either.
    page = client.get(reverse("governance:risk_list"), {"asset": secret.pk}).content.decode()
    assert "merger" not in page


# --- control search (the risk form's mitigating controls) ---


def test_control_search_is_scoped_to_the_controls_one_may_see(personas: Any) -> None:
    omar = personas["owner_omar"]
    mine = Control.objects.create(ref="CTL-MINE", title="Encrypted laptops", owner=omar)
    hand_over_object_perms(obj=mine, previous=None, new=omar)
    Control.objects.create(ref="CTL-OTHER", title="Encrypted backups")
    officer = _search(personas.client("officer_olga"), CONTROLS, q="encrypted").content.decode()
    assert "CTL-MINE" in officer
    assert "CTL-OTHER" in officer
    owner = _search(personas.client("owner_omar"), CONTROLS, q="encrypted").content.decode()
    assert "CTL-MINE" in owner
    assert "CTL-OTHER" not in owner


def test_an_empty_search_offers_the_first_rows_only(personas: Any) -> None:
    Control.objects.bulk_create(Control(ref=f"CTL-{i:03d}", title="c") for i in range(PICKER_LIMIT * 3))
    html = _search(personas.client("officer_olga"), CONTROLS, q="", field="controls", multiple="1").content.decode()
    assert len(_values(html)) == PICKER_LIMIT
    assert "CTL-000" in html


# --- pages stay small with many users and assets ---


@pytest.fixture
def crowd(personas: Any) -> dict[str, Any]:
    """300 users (half of them control owners) and 300 assets, each owning or linked to something."""
    people = _people(150, "plain") + _people(150, "owner", role=Role.CONTROL_OWNER)
    assets = _assets(300, people)
    risks = Risk.objects.bulk_create(Risk(ref=f"RSK-C{i:04d}", title=f"Risk {i}", owner=people[i]) for i in range(300))
    Risk.assets.through.objects.bulk_create(
        Risk.assets.through(risk_id=risk.pk, asset_id=asset.pk) for risk, asset in zip(risks, assets, strict=True)
    )
    controls = Control.objects.bulk_create(
        Control(ref=f"CTL-C{i:04d}", title=f"Control {i}", owner=people[150 + i % 150]) for i in range(300)
    )
    ControlTest.objects.bulk_create(ControlTest(control=c, due_date="2030-01-01") for c in controls[:50])
    findings = Finding.objects.bulk_create(Finding(title=f"Finding {i}", owner=people[i]) for i in range(50))
    return {"people": people, "assets": assets, "risks": risks, "controls": controls, "findings": findings}


BOUND = 60  # far below 300: only fixed choices (status, band...) and the chosen values

PAGES = [
    ("officer_olga", "governance:risk_list", None),
    ("officer_olga", "governance:control_list", None),
    ("officer_olga", "governance:control_test_list", None),
    ("it_ivan", "governance:asset_list", None),
    ("officer_olga", "governance:finding_list", None),
    ("officer_olga", "governance:risk_create", None),
    ("officer_olga", "governance:risk_edit", "risk"),
    ("officer_olga", "governance:control_create", None),
    ("officer_olga", "governance:control_edit", "control"),
    ("it_ivan", "governance:asset_create", None),
    ("it_ivan", "governance:asset_edit", "asset"),
    ("officer_olga", "governance:finding_create", None),
    ("officer_olga", "governance:finding_edit", "finding"),
    ("officer_olga", "governance:exception_list", None),
    ("officer_olga", "governance:exception_request", None),
    ("officer_olga", "governance:risk_heatmap", None),
]


@pytest.mark.parametrize(("persona", "name", "obj"), PAGES, ids=[p[1].split(":")[1] for p in PAGES])
def test_pages_render_a_bounded_number_of_options(
    personas: Any, crowd: dict[str, Any], persona: str, name: str, obj: str | None
) -> None:
    args = [crowd[f"{obj}s"][0].pk] if obj else []
    response = personas.client(persona).get(reverse(name, args=args))
    assert response.status_code == 200
    html = response.content.decode()
    assert _options(html) < BOUND, f"{name}: {_options(html)} options"
    assert "Plain 0150" not in html  # nobody who is not chosen is listed


def test_filters_still_take_ids_and_show_the_chosen_label(personas: Any, crowd: dict[str, Any]) -> None:
    owner, asset = crowd["people"][7], crowd["assets"][7]
    client = personas.client("officer_olga")
    html = client.get(reverse("governance:risk_list"), {"owner": owner.pk}).content.decode()
    assert f'<option value="{owner.pk}" selected>Plain 0007 &lt;plain0007@example.test&gt;</option>' in html
    assert "RSK-C0007" in html
    assert "RSK-C0008" not in html
    html = client.get(reverse("governance:risk_list"), {"asset": asset.pk}).content.decode()
    assert f'<option value="{asset.pk}" selected>System 0007' in html
    assert "RSK-C0007" in html
    assert "RSK-C0008" not in html
    control_owner = crowd["controls"][3].owner
    html = client.get(reverse("governance:control_list"), {"owner": control_owner.pk}).content.decode()
    assert "CTL-C0003" in html
    assert "CTL-C0004" not in html
    html = client.get(reverse("governance:control_list"), {"owner": "none"}).content.decode()
    assert '<option value="none" selected>No owner</option>' in html
    assert "CTL-C0003" not in html
    ivan = personas.client("it_ivan")
    html = ivan.get(reverse("governance:asset_list"), {"owner": owner.pk}).content.decode()
    assert "System 0007" in html
    assert "System 0008" not in html


def test_an_unknown_or_hidden_owner_id_leaks_no_name(personas: Any, crowd: dict[str, Any]) -> None:
    olga = personas["officer_olga"]
    html = personas.client("owner_omar").get(reverse("governance:control_list"), {"owner": olga.pk}).content.decode()
    assert "Olga Officer" not in html
    assert f'<option value="{olga.pk}" selected>#{olga.pk}</option>' in html
    response = personas.client("officer_olga").get(reverse("governance:risk_list"), {"owner": "999999"})
    assert response.status_code == 200


# --- forms validate the picked ids on the server ---


def _risk_post(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Picked risk",
        "inherent_likelihood": "3",
        "inherent_impact": "3",
        "residual_likelihood": "2",
        "residual_impact": "2",
        "treatment": Risk.Treatment.MITIGATE,
        **extra,
    }


def test_a_risk_is_saved_with_the_picked_owner_and_assets(personas: Any, crowd: dict[str, Any]) -> None:
    # a Control owner: only a role that may own risks may be made a risk's owner
    owner, assets, control = crowd["people"][159], crowd["assets"][20:22], crowd["controls"][5]
    data = _risk_post(owner=str(owner.pk), assets=[str(a.pk) for a in assets], controls=[str(control.pk)])
    response = personas.client("officer_olga").post(reverse("governance:risk_create"), data)
    assert response.status_code == 302
    risk = Risk.objects.get(title="Picked risk")
    assert risk.owner == owner
    assert set(risk.assets.all()) == set(assets)
    assert list(risk.controls.all()) == [control]
    page = personas.client("officer_olga").get(reverse("governance:risk_edit", args=[risk.pk])).content.decode()
    assert f'value="{control.pk}" id="id_controls_{control.pk}" checked' in page


@pytest.mark.parametrize("bad", ["999999", "abc", "1\x00", "inactive"])
def test_a_bad_owner_is_a_field_error(personas: Any, bad: str) -> None:
    if bad == "inactive":
        bad = str(_people(1, "gone", active=False)[0].pk)
    response = personas.client("officer_olga").post(reverse("governance:risk_create"), _risk_post(owner=bad))
    assert response.status_code == 400
    expected = (
        "Null characters are not allowed."  # Django's own check, before the lookup
        if "\x00" in bad
        else "Owner: choose a person the search offers; this one is unknown or may not be chosen."
    )
    assert response.context["form"].errors["owner"] == [expected]
    assert not Risk.objects.filter(title="Picked risk").exists()


def test_a_risk_owner_may_not_link_an_asset_he_cannot_see(personas: Any) -> None:
    omar = personas["owner_omar"]
    mine, hidden = Asset.objects.create(name="Mine"), Asset.objects.create(name="Hidden")
    risk = Risk.objects.create(ref="RSK-OM", title="Mine", owner=omar)
    risk.assets.add(mine)
    hand_over_object_perms(obj=risk, previous=None, new=omar)
    url = reverse("governance:risk_edit", args=[risk.pk])
    client = personas.client("owner_omar")
    page = client.get(url).content.decode()
    assert "Hidden" not in page
    response = client.post(url, _risk_post(title="Mine", assets=[str(mine.pk), str(hidden.pk)]))
    assert response.status_code == 400
    assert response.context["form"].errors["assets"][0].startswith("Assets: choose assets the search offers;")
    assert list(risk.assets.all()) == [mine]


def test_a_control_owner_must_be_one_of_the_control_roles(personas: Any) -> None:
    client = personas.client("officer_olga")
    data = {"ref": "CTL-PICK", "title": "Picked", "status": Control.Status.PLANNED, "test_frequency": "annual"}
    response = client.post(reverse("governance:control_create"), {**data, "owner": personas["employee_emil"].pk})
    assert response.status_code == 200
    assert response.context["form"].errors["owner"][0].startswith("Owner: choose a person the search offers")
    response = client.post(reverse("governance:control_create"), {**data, "owner": personas["owner_omar"].pk})
    assert response.status_code == 302
    assert Control.objects.get(ref="CTL-PICK").owner == personas["owner_omar"]


def test_bulk_owner_with_a_picked_person(personas: Any, crowd: dict[str, Any]) -> None:
    new_owner = crowd["people"][192]  # a Control owner (people without a role may not own risks)
    risks = crowd["risks"][:3]
    response = personas.client("officer_olga").post(
        reverse("governance:risk_bulk_owner"), {"owner": new_owner.pk, "ids": [r.pk for r in risks]}
    )
    assert response.status_code == 302
    assert set(Risk.objects.filter(owner=new_owner).values_list("pk", flat=True)) >= {r.pk for r in risks}


# --- an active picker filter costs the same queries with 1 row and with 50 ---


@pytest.mark.parametrize(
    ("persona", "name", "param"),
    [
        ("officer_olga", "governance:risk_list", "owner"),
        ("officer_olga", "governance:risk_list", "asset"),
        ("officer_olga", "governance:control_list", "owner"),
        ("it_ivan", "governance:asset_list", "owner"),
    ],
)
def test_a_picked_filter_costs_a_fixed_number_of_queries(
    personas: Any, persona: str, name: str, param: str, django_assert_max_num_queries: Any
) -> None:
    owner = _people(1, "solo", role=Role.CONTROL_OWNER)[0]
    asset = Asset.objects.create(name="Shared system", owner=owner)
    value = asset.pk if param == "asset" else owner.pk

    def make(n: int, tag: str) -> None:
        for i in range(n):
            Risk.objects.create(ref=f"RSK-{tag}{i:02d}", title="r", owner=owner).assets.add(asset)
            Control.objects.create(ref=f"CTL-{tag}{i:02d}", title="c", owner=owner)
            Asset.objects.create(name=f"System {tag}{i:02d}", owner=owner)

    client = personas.client(persona)
    url = f"{reverse(name)}?{param}={value}"
    make(1, "one")
    client.get(url)  # warm up
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    make(49, "many")
    with django_assert_max_num_queries(len(one)):
        html = client.get(url).content.decode()
    assert f'<option value="{value}" selected>' in html
