"""The shared list helper: searches, filters and sorting never fail on odd input."""

from __future__ import annotations

from typing import Any

from access.models import User
from workbench.listing import Column, Filter, ListSpec, build_list, csv_response

SPEC = ListSpec(
    search_fields=("email", "full_name"),
    filters=(Filter("active", "Active", "is_active", choices=(("1", "Yes"), ("0", "No")), convert=lambda v: v == "1"),),
    sorts={"email": "email", "joined": "date_joined"},
    default_sort="email",
    columns=(Column("Email", lambda u: u.email), Column("Name", lambda u: u.full_name)),
    page_size=2,
)


def _users() -> None:
    for name in ("ann", "bob", "cid"):
        User.objects.create_user(f"{name}@example.test", "a long enough password", full_name=f"={name} formula")


def test_search_with_nul_character_is_stripped_not_sent_to_the_database(db: Any) -> None:
    _users()
    listing = build_list(SPEC, User.objects.all(), {"q": "bo\x00b", "active": "1\x00"})
    assert [u.email for u in listing.rows] == ["bob@example.test"]
    assert listing.active_filters == {"active": "1"}


def test_unknown_filter_values_sorts_and_pages_are_ignored(db: Any) -> None:
    _users()
    listing = build_list(SPEC, User.objects.all(), {"active": "maybe", "sort": "password", "page": "99"})
    assert listing.active_filters == {}
    assert listing.sort == ""
    assert listing.page.number == 2  # past the end: the last page


def test_descending_sort_and_sort_link_flips(db: Any) -> None:
    _users()
    listing = build_list(SPEC, User.objects.all(), {"sort": "-email"})
    assert [u.email for u in listing.rows] == ["cid@example.test", "bob@example.test"]
    assert "sort=email" in listing.sort_link("email")


def test_csv_export_neutralises_formulas(db: Any) -> None:
    _users()
    response = csv_response(SPEC, User.objects.all(), {}, "users.csv")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    assert lines[0] == "Email,Name"
    assert lines[1] == "ann@example.test,'=ann formula"
