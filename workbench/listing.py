"""One way to build list pages: search, filters, sorting, pagination and CSV export.

A page declares a ``ListSpec`` and calls ``build_list(spec, queryset, request.GET)``
on a queryset its selector already filtered by permission. Everything runs in the
database; a page costs the same number of queries with 1 row or 10,000.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.db.models import Q, QuerySet
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.urls import reverse

from workbench.pagination import DeferredPaginator
from workbench.pickers import PickerSource, picker_context


@dataclass(frozen=True)
class Filter:
    """A query-string parameter that narrows the list. ``lookup`` is an ORM lookup."""

    param: str
    label: str
    lookup: str
    choices: Callable[[], Iterable[tuple[str, str]]] | Iterable[tuple[str, str]] | None = None
    # Turns the raw value into what the lookup wants; raising ValueError ignores the filter.
    convert: Callable[[str], Any] | None = None
    # A type-ahead picker (workbench.pickers) instead of an option per row: the filter takes an
    # id and the page renders only the active value, resolved to its label for the user.
    # ``choices`` then holds only fixed extras (e.g. "none": no owner), keys of pickers.EXTRAS.
    picker: PickerSource | None = None

    def options(self) -> list[tuple[str, str]]:
        if self.choices is None:
            return []
        values = self.choices() if callable(self.choices) else self.choices
        return [(str(v), str(label)) for v, label in values]


@dataclass(frozen=True)
class Column:
    """A CSV column: header and a function from row to value."""

    header: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class ListSpec:
    search_fields: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    sorts: Mapping[str, str] = field(default_factory=dict)  # public name -> ORM field ("-" allowed in param)
    default_sort: str = ""
    columns: tuple[Column, ...] = ()
    page_size: int = 50
    max_page_size: int = 200


@dataclass
class ListResult:
    page: Page
    query: str
    active_filters: dict[str, str]
    sort: str
    querystring: str  # filters + search + sort, without page
    filters: list[dict[str, Any]]
    sorts: list[str]

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    def sort_link(self, name: str) -> str:
        """Query string that sorts by ``name``, flipping direction when it is the current sort."""
        direction = "-" if self.sort == name else ""
        params = QueryDict(self.querystring, mutable=True)
        params["sort"] = f"{direction}{name}"
        return params.urlencode()


def filter_queryset(
    spec: ListSpec, queryset: QuerySet, params: Mapping[str, str]
) -> tuple[QuerySet, dict[str, str], str, str]:
    """Apply search, filters and sorting. Unknown or malformed values are ignored, never a 500."""
    # NUL characters are refused by PostgreSQL; they never belong in a search.
    query = (params.get("q") or "").replace("\x00", "").strip()[:200]
    if query and spec.search_fields:
        condition = Q()
        for name in spec.search_fields:
            condition |= Q(**{f"{name}__icontains": query})
        queryset = queryset.filter(condition)
    active: dict[str, str] = {}
    for flt in spec.filters:
        raw = (params.get(flt.param) or "").replace("\x00", "").strip()
        if not raw:
            continue
        options = flt.options()
        if options and flt.picker is None and raw not in {value for value, _ in options}:
            continue
        try:
            value = flt.convert(raw) if flt.convert else raw
        except (ValueError, TypeError):
            continue
        queryset = queryset.filter(**{flt.lookup: value})
        active[flt.param] = raw
    sort = (params.get("sort") or spec.default_sort).strip()
    key = sort.lstrip("-")
    if key in spec.sorts:
        order = spec.sorts[key]
        descending = sort.startswith("-")
        queryset = queryset.order_by(f"-{order}" if descending else order, "pk")
    else:
        sort = ""
    return queryset, active, sort, query


def build_list(spec: ListSpec, queryset: QuerySet, params: Mapping[str, str], user: Any = None) -> ListResult:
    """One page of the list. ``user`` resolves the active value of picker filters to a label."""
    queryset, active, sort, query = filter_queryset(spec, queryset, params)
    try:
        size = min(max(int(params.get("per_page") or spec.page_size), 1), spec.max_page_size)
    except ValueError:
        size = spec.page_size
    paginator = DeferredPaginator(queryset, size)
    try:
        page = paginator.page(params.get("page") or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    keep = QueryDict(mutable=True)
    if query:
        keep["q"] = query
    for name, value in active.items():
        keep[name] = value
    if sort:
        keep["sort"] = sort
    if size != spec.page_size:
        keep["per_page"] = str(size)
    filters = [_filter_context(f, active.get(f.param, ""), user) for f in spec.filters]
    return ListResult(page, query, active, sort, keep.urlencode(), filters, list(spec.sorts))


def _filter_context(flt: Filter, value: str, user: Any) -> dict[str, Any]:
    context: dict[str, Any] = {"param": flt.param, "label": flt.label, "value": value, "picker": None}
    if flt.picker is None:
        context["options"] = flt.options()
        return context
    extras = [v for v, _ in flt.options()]
    chosen: list[tuple[str, str]] = []
    if value and value not in extras:
        label = flt.picker.label_for(user, value) if user is not None else None
        chosen = [(value, label or f"#{value}")]
    context["options"] = []
    context["picker"] = picker_context(
        name=flt.param,
        id_=f"filter-{flt.param}",
        url=reverse(flt.picker.url_name),
        chosen=chosen,
        selected=[value] if value else [],
        blank="any",
        extra=extras[0] if extras else "",
        placeholder=flt.picker.placeholder,
        label=flt.label,
    )
    return context


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(spec: ListSpec, queryset: QuerySet, params: Mapping[str, str], filename: str) -> HttpResponse:
    """Stream the whole filtered list as CSV, in chunks, with the page's columns."""
    queryset, _, _, _ = filter_queryset(spec, queryset, params)
    writer = csv.writer(_Echo())

    def rows() -> Iterable[str]:
        yield writer.writerow([c.header for c in spec.columns])
        for obj in queryset.iterator(chunk_size=2000):
            yield writer.writerow([_cell(c.value(obj)) for c in spec.columns])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # type: ignore[return-value]


def _cell(value: Any) -> str:
    """Text for a CSV cell; leading formula characters are neutralised (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text
