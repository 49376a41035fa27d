"""The ``date`` filter of every template (``core.templatetags.dates``) writes what Django's writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import Context, Template, defaultfilters
from django.utils import timezone, translation

from core.templatetags import dates

DAYS = [dt.date(2026, 12, 7), dt.date(2027, 1, 31), dt.date(1999, 2, 28)]


def _drawn(text: str, **context: Any) -> str:
    return Template(text).render(Context(context))


@pytest.mark.parametrize("fmt", [None, "DATE_FORMAT", "SHORT_DATE_FORMAT", "Y-m-d", "l j F Y"])
def test_days_as_djangos_filter_writes_them(fmt: str | None) -> None:
    for day in DAYS:
        expected = defaultfilters.date(day, fmt)
        assert dates.date(day, fmt) == expected
        assert dates.date(day, fmt) == expected  # the kept one
    assert dates.date(DAYS[0]) == "7 Dec 2026"


def test_templates_use_it_and_datetimes_follow_the_time_zone() -> None:
    moment = dt.datetime(2026, 12, 7, 23, 30, tzinfo=dt.UTC)
    dates._written.cache_clear()
    assert _drawn("{{ d|date }}", d=DAYS[0]) == "7 Dec 2026"
    assert _drawn("{{ d|date }}", d=DAYS[0]) == "7 Dec 2026"
    assert dates._written.cache_info().hits == 1  # the templates' ``date`` is ours
    with timezone.override("Europe/Paris"):
        assert _drawn('{{ m|date:"DATETIME_FORMAT" }}', m=moment) == "8 Dec 2026 00:30"
    with timezone.override("UTC"):
        assert _drawn('{{ m|date:"DATETIME_FORMAT" }}', m=moment) == "7 Dec 2026 23:30"
    assert _drawn("{{ nothing|date }}", nothing=None) == ""


def test_the_language_is_part_of_what_is_kept() -> None:
    with translation.override("fr"):
        french = dates.date(DAYS[0], "j F Y")
    assert french == "7 décembre 2026"
    assert dates.date(DAYS[0], "j F Y") == "7 December 2026"
