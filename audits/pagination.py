"""Pages of the whole audit trail, found by sequence number instead of counted and skipped.

The chain numbers its entries 1, 2, 3... without gaps (each writer takes the next number
under the chain-head lock, in the same transaction as its entry), and entries are never
deleted. So the unfiltered trail, newest first, has exactly ``head.sequence`` entries
and page *n* holds the sequences ``head - n*size + 1`` to ``head - (n-1)*size``. That
turns both the count (``COUNT(*)`` over every entry) and a deep page (an index walk
past every skipped entry) into one read of the head row and one range of the unique
``sequence`` index, however long the trail grows.

A trail whose entries were deleted behind the database's back (``verify_audit_trail``
reports that as a break) shows the holes as short pages rather than hiding them.
Filtered views cannot use this and keep the ordinary (deferred-join) paginator.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page
from django.db.models import QuerySet

from audits.models import ChainHead
from core.pagination import DeferredPageNumberPagination, DeferredPaginator


class ChainPaginator(DeferredPaginator):
    """A paginator over the whole trail (newest first) that never counts or skips rows."""

    def __init__(self, object_list: QuerySet[Any], per_page: int | str, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.entries = object_list
        self.orphans = 0  # a page is exactly a range of sequence numbers

    @cached_property
    def head_sequence(self) -> int:
        return ChainHead.current().sequence

    @cached_property
    def count(self) -> int:
        return self.head_sequence

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        top = self.head_sequence - (number - 1) * self.per_page
        bottom = max(top - self.per_page, 0)
        rows = self.entries.filter(sequence__gt=bottom, sequence__lte=top)
        return Page(rows, number, self)


def trail_paginator(entries: QuerySet[Any], per_page: int, *, whole_trail: bool) -> DeferredPaginator:
    """The paginator for a list of entries: by sequence for the whole trail, else by count and offset."""
    return ChainPaginator(entries, per_page) if whole_trail else DeferredPaginator(entries, per_page)


class TrailPageNumberPagination(DeferredPageNumberPagination):
    """The API's page numbers over the trail; the view sets ``whole_trail`` when nothing is filtered."""

    whole_trail = False

    def django_paginator_class(self, queryset: QuerySet[Any], page_size: int) -> DeferredPaginator:  # type: ignore[override]
        return trail_paginator(queryset, page_size, whole_trail=self.whole_trail)
