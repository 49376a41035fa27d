"""Django's ``date`` filter, with the days it wrote kept (a built-in: every template uses it).

Pages write dates as "7 Dec 2026": the month's name goes through the translation machinery,
about 20 microseconds a date, and a list of 50 rows writes a hundred dates or more, most of
them the same few days. A ``date`` (not a ``datetime``, which depends on the time zone) is
written once per format and language in each process; anything else goes to Django's filter.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django import template
from django.template import defaultfilters
from django.utils import translation

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value: Any, arg: str | None = None) -> str:
    if type(value) is dt.date:
        return _written(value, arg, translation.get_language())
    return str(defaultfilters.date(value, arg))


@functools.lru_cache(maxsize=8192)
def _written(day: dt.date, arg: str | None, language: str | None) -> str:
    return str(defaultfilters.date(day, arg))
