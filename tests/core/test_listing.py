"""The shared list helper over a FilterSet: odd input is an error that names the parameter."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from access.models import User
from core.filters import ChoiceFilter, IdFilter, ListFilterSet, SortFilter, YesNoFilter
from core.listing import Column, ListSpec, build_list, csv_response


class UserFilters(ListFilterSet):
    search_fields = ("email", "full_name")

    active = YesNoFilter(label="Active", field_name="is_active")
    kind = ChoiceFilter(label="Kind", choices=(("staff", "Staff"),), method="filter_kind")
    id = IdFilter(label="Id", field_name="pk")
    sort = SortFilter(sorts={"email": "email", "joined": "date_joined"}, default="email")

    def filter_kind(self, qs: Any, name: str, value: str) -> Any:
        return qs.filter(is_staff=True)


SPEC = ListSpec(UserFilters, columns=(Column("Email", lambda u: u.email), Column("Name", lambda u: u.full_name)))
SMALL = ListSpec(UserFilters, page_size=2)


def _request(**params: str) -> Any:
    return RequestFactory().get("/", params)


def _users() -> None:
    for name in ("ann", "bob", "cid"):
        User.objects.create_user(f"{name}@example.test", "a long enough password", full_name=f"={name} formula")


def test_search_with_nul_character_is_stripped_not_sent_to_the_database(db: Any) -> None:
    _users()
    listing = build_list(SPEC, User.objects.all(), _request(q="bo\x00b", active="yes"))
    assert [u.email for u in listing.rows] == ["bob@example.test"]
    assert listing.active_filters == {"active": "yes"}
    assert listing.errors == {}


def test_bad_values_are_named_and_left_out_while_the_rest_applies(db: Any) -> None:
    _users()
    listing = build_list(
        SMALL, User.objects.all(), _request(active="maybe", sort="password", id="9" * 30, page="99", q="ann")
    )
    assert set(listing.errors) == {"active", "sort", "id"}
    assert "Select a valid choice" in listing.errors["active"][0]
    assert "less than or equal to" in listing.errors["id"][0]
    assert listing.active_filters == {}
    assert [u.email for u in listing.rows] == ["ann@example.test"]  # the search still applies
    assert listing.sort == "email"  # the default order


def test_pages_past_the_end_show_the_last_page(db: Any) -> None:
    _users()
    listing = build_list(SMALL, User.objects.all(), _request(page="99"))
    assert listing.page.number == 2


def test_true_and_false_read_as_yes_and_no(db: Any) -> None:
    _users()
    User.objects.filter(email__startswith="bob").update(is_active=False)
    listing = build_list(SPEC, User.objects.all(), _request(active="false"))
    assert [u.email for u in listing.rows] == ["bob@example.test"]


def test_descending_sort_and_sort_link_flips(db: Any) -> None:
    _users()
    listing = build_list(SMALL, User.objects.all(), _request(sort="-email"))
    assert [u.email for u in listing.rows] == ["cid@example.test", "bob@example.test"]
    assert "sort=email" in listing.sort_link("email")


def test_csv_export_neutralises_formulas(db: Any) -> None:
    _users()
    response = csv_response(SPEC, User.objects.all(), _request(), "users.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    assert lines[0] == "Email,Name"
    assert lines[1] == "ann@example.test,'=ann formula"


def test_csv_export_refuses_a_bad_filter_naming_it(db: Any) -> None:
    _users()
    response = csv_response(SPEC, User.objects.all(), _request(active="maybe"), "users.csv")
    assert response.status_code == 400
    assert response.content.decode().startswith("active: ")
