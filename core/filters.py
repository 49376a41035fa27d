"""One way to filter a list: django-filter FilterSets, shared by pages and the API.

Each app declares its lists' filters in ``<app>/filters.py`` as subclasses of
``ListFilterSet``. The same class:

- filters a page (``core.listing.build_list``): a bad value is a form error shown on
  the filter bar, never silently ignored;
- filters an API list (django-filter's ``DjangoFilterBackend``, the API's default
  backend, reading the viewset's ``filterset_class``): a bad value is a 400 naming the
  parameter, and drf-spectacular documents every parameter from the declarations;
- feeds the CSV export, so a CSV holds exactly the rows the page lists.

Every id in a query string is a bounded positive integer (``IdField``), so a 30-digit
``?owner=`` is a clear error on both databases rather than an overflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import django_filters
import django_filters.fields
from django import forms
from django.db.models import Q, QuerySet
from django_filters.constants import EMPTY_VALUES

from core.pickers import PickerSource

# The largest id any of our tables can hold (BigAutoField, SQLite's INTEGER).
MAX_ID = 2**63 - 1
MAX_SEARCH = 200


def clean_text(value: Any, limit: int = MAX_SEARCH) -> str:
    """Text without NUL characters (PostgreSQL refuses them), stripped and cut to ``limit``."""
    return str(value or "").replace("\x00", "").strip()[:limit]


class SearchField(forms.CharField):
    """Free text to search for: NUL characters dropped (no database accepts them), cut to length."""

    def to_python(self, value: Any) -> str:
        return str(value or "").replace("\x00", "").strip()


class SearchFilter(django_filters.CharFilter):
    field_class = SearchField


class IdField(forms.IntegerField):
    """A database id: a whole number from 1 to ``MAX_ID``."""

    default_error_messages = {"invalid": "Enter the number of an existing record (a whole number)."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and len(value.strip()) > 19:  # more digits than MAX_ID has
            raise forms.ValidationError(f"Ensure this value is less than or equal to {MAX_ID}.", code="max_value")
        result: int | None = super().to_python(value)
        return result


class IdFilter(django_filters.Filter):
    """``?param=<id>``: rows whose ``field_name`` is that id."""

    field_class = IdField


class PickedIdField(forms.CharField):
    """An id chosen with a type-ahead picker, or one of the filter's fixed extras (e.g. ``none``)."""

    def __init__(self, *, extras: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        self.extras = dict(extras or {})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = clean_text(value, 40)
        if text in EMPTY_VALUES:
            return None
        if text in self.extras:
            return text
        return IdField().clean(text)


class PickerFilter(django_filters.Filter):
    """A filter by one row chosen with a picker (``?owner=3``), or a fixed extra such as ``none``.

    The page renders a type-ahead field (``core.pickers``), never an option per row.
    ``none`` (when offered) keeps the rows where ``field_name`` is empty.
    """

    field_class = PickedIdField

    def __init__(self, *args: Any, picker: PickerSource, extras: Mapping[str, str] | None = None, **kwargs: Any):
        self.picker = picker
        self.extras = dict(extras or {})
        kwargs.setdefault("extras", self.extras)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        if value == "none":
            return qs.filter(**{f"{self.field_name}__isnull": True})
        return super().filter(qs, value)


class ChoiceFilter(django_filters.ChoiceFilter):
    """One of a fixed set of values; anything else is an error naming the parameter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", "Any")
        super().__init__(*args, **kwargs)


class YesNoField(django_filters.fields.ChoiceField):
    """``yes``/``no``; ``true``/``false`` and ``1``/``0`` are read as the same (API clients send those)."""

    ALIASES = {"true": "yes", "1": "yes", "false": "no", "0": "no"}

    def to_python(self, value: Any) -> str:
        text = clean_text(value, 10).lower()
        return self.ALIASES.get(text, text)


class YesNoFilter(django_filters.ChoiceFilter):
    """A yes/no question about a boolean ``field_name`` (``invert`` when yes means False)."""

    field_class = YesNoField

    def __init__(self, *args: Any, labels: tuple[str, str] = ("Yes", "No"), invert: bool = False, **kwargs: Any):
        self.invert = invert
        kwargs.setdefault("empty_label", "Any")
        kwargs["choices"] = (("yes", labels[0]), ("no", labels[1]))
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in EMPTY_VALUES:
            return qs
        return qs.filter(**{self.field_name: (value == "yes") != self.invert})


class DateFilter(django_filters.DateFilter):
    """A date (``YYYY-MM-DD``), picked with the browser's date picker on pages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)


class SortFilter(django_filters.ChoiceFilter):
    """``?sort=name`` or ``?sort=-name`` among the list's public sort names; ties broken by id.

    Without a value the list takes ``default``. A name the list does not know is an error.
    """

    def __init__(self, *, sorts: Mapping[str, str], default: str = "", **kwargs: Any) -> None:
        self.sorts = dict(sorts)
        self.default = default
        names = sorted(self.sorts)
        kwargs.setdefault("label", "Sort")
        kwargs.setdefault("help_text", f"One of {', '.join(names)}; prefix '-' to reverse.")
        kwargs["choices"] = [(f"{sign}{name}", f"{sign}{name}") for name in names for sign in ("", "-")]
        kwargs.setdefault("empty_label", None)
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        name = value or self.default
        if not name:
            return qs
        orm = self.sorts[name.lstrip("-")]
        return qs.order_by(f"-{orm}" if name.startswith("-") else orm, "pk")


class ListFilterSet(django_filters.FilterSet):
    """Search (``q``), the declared filters and ``sort``; subclasses list ``search_fields``.

    ``request`` (when given) supplies the viewer, for filters whose choices depend on
    who asks. ``bar_exclude`` names filters that work but are not shown on the filter
    bar (e.g. a heat-map cell's coordinates).
    """

    search_fields: ClassVar[tuple[str, ...]] = ()
    bar_exclude: ClassVar[tuple[str, ...]] = ()

    q = SearchFilter(method="filter_search", label="Search", help_text="Text to search for.", max_length=MAX_SEARCH)

    def filter_search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        text = clean_text(value)
        if not text or not self.search_fields:
            return qs
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": text})
        return qs.filter(condition)

    @property
    def viewer(self) -> Any:
        return getattr(self.request, "user", None)

    def set_choices(self, name: str, choices: Any) -> None:
        """Give filter ``name`` choices that depend on the data or the viewer (before the form is built).

        ``choices`` may be a callable: read only when the form needs them (a page draws the select,
        or a value was given to check), so an API call without that parameter pays no query.
        """
        flt = self.filters[name]
        flt.extra["choices"] = choices
        flt.__dict__.pop("_field", None)  # a field built earlier (e.g. for the schema) kept the old choices

    def sort_filter(self) -> SortFilter | None:
        found = self.filters.get("sort")
        return found if isinstance(found, SortFilter) else None

    def error_messages(self) -> dict[str, list[str]]:
        """``{parameter: [message, ...]}`` of the values that could not be used."""
        return {name: list(errors) for name, errors in self.form.errors.items()}


def apply_filters(
    filterset_class: type[ListFilterSet], queryset: QuerySet, params: Mapping[str, Any], request: Any = None
) -> tuple[QuerySet, ListFilterSet]:
    """The rows ``params`` select (valid values only) and the bound filter set, for its errors."""
    filterset = filterset_class(params, queryset=queryset, request=request)
    return filterset.qs, filterset
