"""Pagination whose deep pages stay fast on big tables (a "deferred join").

``LIMIT 50 OFFSET 15000`` makes the database build, join and annotate the 15,000
rows it then throws away. For deep pages ``DeferredPaginator`` asks first for the
keys of the page's rows only (same filters and order, no joined columns, no
annotations: an index walk), then loads those rows with everything the page shows:
one query still, with the key query as a subquery. Shallow pages, unordered or
DISTINCT querysets and plain lists keep the ordinary slice.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

# Below this offset a plain slice is as fast; above it the skipped rows dominate.
DEFERRED_FROM_OFFSET = 500


def page_rows(object_list: Any, bottom: int, top: int) -> Any:
    """``object_list[bottom:top]``, as a deferred join when that is faster and gives the same rows."""
    if (
        bottom >= DEFERRED_FROM_OFFSET
        and isinstance(object_list, QuerySet)
        and object_list.ordered
        and not object_list.query.distinct
        and not object_list.query.is_sliced
        and not object_list.query.combinator
    ):
        keys = object_list.values("pk")[bottom:top]
        return object_list.filter(pk__in=keys)
    return object_list[bottom:top]


class DeferredPaginator(Paginator):
    """Django's ``Paginator``; deep pages load their rows by key (see the module)."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return Page(page_rows(self.object_list, bottom, top), number, self)


MAX_API_PAGE_SIZE = 500


class DeferredPageNumberPagination(PageNumberPagination):
    """DRF's page-number pagination over ``DeferredPaginator``; ``?page_size=`` from 1 to 500 (default 50)."""

    django_paginator_class = DeferredPaginator
    page_size_query_param = "page_size"
    max_page_size = MAX_API_PAGE_SIZE
    page_size_query_description = f"Rows per page, 1 to {MAX_API_PAGE_SIZE} (default 50)."

    def get_page_size(self, request: Any) -> int | None:
        """The asked page size, or the default; a value outside 1..500 is a 400 naming ``page_size``."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        text = str(raw).strip()
        if not text.isdigit() or not 1 <= int(text[:4]) <= MAX_API_PAGE_SIZE or len(text) > 4:
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {MAX_API_PAGE_SIZE}."]})
        return int(text)
