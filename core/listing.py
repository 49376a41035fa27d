"""One way to build list pages: search, filters, sorting, pagination and CSV export.

A page declares a ``ListSpec`` (its ``core.filters.ListFilterSet``, CSV columns and
page size) and calls ``build_list(spec, queryset, request)`` on a queryset its
selector already filtered by permission; ``csv_response`` is its CSV twin. Everything runs in the
database; a page costs the same number of queries with 1 row or 10,000.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict, StreamingHttpResponse
from django.urls import reverse

from core.filters import ListFilterSet, PickerFilter, apply_filters, clean_text
from core.pagination import DeferredPaginator
from core.pickers import picker_context
from core.users import UserLike


@dataclass(frozen=True)
class Column:
    """A CSV column: header and a function from row to value."""

    header: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class ListSpec:
    """A list: its filter set (search, filters, sorting), its CSV columns and its page size."""

    filterset: type[ListFilterSet]
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
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    def sort_link(self, name: str) -> str:
        """Query string that sorts by ``name``, flipping direction when it is the current sort."""
        direction = "-" if self.sort == name else ""
        params = QueryDict(self.querystring, mutable=True)
        params["sort"] = f"{direction}{name}"
        return params.urlencode()


def _raw(params: Mapping[str, Any], name: str) -> str:
    return clean_text(params.get(name), 100)


def build_list(
    spec: ListSpec, queryset: QuerySet, request: HttpRequest, params: Mapping[str, Any] | None = None
) -> ListResult:
    """One page of the list; ``params`` default to the request's query string.

    A value the filter set refuses is reported in ``errors`` (shown on the filter bar)
    and its filter is left out; the other filters still apply.
    """
    params = request.GET if params is None else params
    queryset, filterset = apply_filters(spec.filterset, queryset, params, request)
    errors = filterset.error_messages()
    try:
        size = min(max(int(params.get("per_page") or spec.page_size), 1), spec.max_page_size)
    except (TypeError, ValueError):
        size = spec.page_size
    paginator = DeferredPaginator(queryset, size)
    try:
        page = paginator.page(params.get("page") or 1)
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    query = "" if "q" in errors else clean_text(params.get("q"))
    sorter = filterset.sort_filter()
    sort = _raw(params, "sort") if sorter is not None and "sort" not in errors else ""
    active = {
        name: _raw(params, name)
        for name in filterset.filters
        if name not in ("q", "sort") and name not in errors and _raw(params, name)
    }
    keep = QueryDict(mutable=True)
    if query:
        keep["q"] = query
    for name, value in active.items():
        keep[name] = value
    if sort:
        keep["sort"] = sort
    if size != spec.page_size:
        keep["per_page"] = str(size)
    user = getattr(request, "user", None)
    shown = [(n, f) for n, f in filterset.filters.items() if n not in ("q", "sort", *filterset.bar_exclude)]
    filters = [_filter_context(name, flt, _raw(params, name), errors.get(name, []), user) for name, flt in shown]
    sorts = list(sorter.sorts) if sorter is not None else []
    return ListResult(
        page, query, active, sort or (sorter.default if sorter else ""), keep.urlencode(), filters, sorts, errors
    )


def _filter_context(name: str, flt: Any, value: str, errors: list[str], user: UserLike | None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "param": name,
        "label": flt.label or name,
        "value": value,
        "picker": None,
        "options": [],
        "input_type": "date" if isinstance(flt, django_filters.DateFilter) else "text",
        "errors": errors,
    }
    if isinstance(flt, PickerFilter):
        extras = list(flt.extras)
        chosen: list[tuple[str, str]] = []
        if value and value not in extras and not errors:
            label = flt.picker.label_for(user, value) if user is not None else None
            chosen = [(value, label or f"#{value}")]
        context["picker"] = picker_context(
            name=name,
            id_=f"filter-{name}",
            url=reverse(flt.picker.url_name),
            chosen=chosen,
            selected=[value] if value and not errors else [],
            blank="any",
            extra=extras[0] if extras else "",
            placeholder=flt.picker.placeholder,
            label=flt.label,
        )
    elif isinstance(flt, django_filters.ChoiceFilter):
        choices = flt.extra.get("choices", ())
        choices = choices() if callable(choices) else choices
        context["options"] = [(str(v), str(label)) for v, label in choices]
    return context


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    spec: ListSpec,
    queryset: QuerySet,
    request: HttpRequest | None,
    filename: str,
    params: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Stream the whole filtered list as CSV, in chunks, with the page's columns.

    A filter value the list refuses answers 400 naming the parameter, rather than a
    file that silently holds more rows than asked for.
    """
    if params is None:
        params = request.GET if request is not None else {}
    queryset, filterset = apply_filters(spec.filterset, queryset, params, request)
    errors = filterset.error_messages()
    if errors:
        text = "\n".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items())
        return HttpResponseBadRequest(text + "\n", content_type="text/plain; charset=utf-8")
    return csv_rows_response(spec.columns, queryset.iterator(chunk_size=2000), filename)


def csv_rows_response(columns: Sequence[Column], rows: Iterable[Any], filename: str) -> HttpResponse:
    """Stream ``rows`` as CSV with ``columns`` (a header line first), formula injection neutralised."""
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield writer.writerow([c.header for c in columns])
        for obj in rows:
            yield writer.writerow([_cell(c.value(obj)) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response  # type: ignore[return-value]


def _cell(value: Any) -> str:
    """Text for a CSV cell; leading formula characters are neutralised (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text
