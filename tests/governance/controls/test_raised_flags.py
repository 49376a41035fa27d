"""Flags other apps raise on controls (``governance.flags``) are read for the controls shown only."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import pytest
from django.urls import reverse

from governance import flags
from governance.flags import ControlFlag, register_control_flag
from governance.models import Control


@pytest.fixture
def asked() -> Iterator[list[list[int]]]:
    """A flag raised on controls whose ref ends in 7; records the ids it is asked about."""
    calls: list[list[int]] = []

    def raised_among(ids: Collection[int]) -> set[int]:
        calls.append(sorted(ids))
        return set(Control.objects.filter(pk__in=ids, ref__endswith="7").values_list("pk", flat=True))

    saved = dict(flags._FLAGS)
    register_control_flag(ControlFlag(name="test_sevens", label="Ends in seven", raised_among=raised_among))
    yield calls
    flags._FLAGS.clear()
    flags._FLAGS.update(saved)


def test_the_list_asks_about_its_page_only_and_shows_the_badge(personas: Any, asked: list[list[int]]) -> None:
    Control.objects.bulk_create(Control(ref=f"CTL-{n:03d}", title=f"Control {n}") for n in range(60))
    html = personas.client("officer_olga").get(reverse("governance:control_list")).content.decode()
    shown = sorted(Control.objects.order_by("ref", "pk").values_list("pk", flat=True)[:50])
    assert asked == [shown]  # one question, about the 50 rows of the first page
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in html.split("<tr>")[1:]}
    assert "Ends in seven" in rows["CTL-017"]
    assert "Ends in seven" not in rows["CTL-018"]


def test_the_control_page_shows_the_badge(personas: Any, asked: list[list[int]]) -> None:
    seven, eight = (Control.objects.create(ref=ref, title=ref) for ref in ("CTL-7", "CTL-8"))
    client = personas.client("officer_olga")
    assert "Ends in seven" in client.get(reverse("governance:control_detail", args=[seven.pk])).content.decode()
    assert "Ends in seven" not in client.get(reverse("governance:control_detail", args=[eight.pk])).content.decode()
    assert asked == [[seven.pk], [eight.pk]]


def test_an_empty_page_asks_nothing(personas: Any, asked: list[list[int]]) -> None:
    personas.client("officer_olga").get(reverse("governance:control_list"))
    assert asked == []
