"""Type-ahead pickers: choose a person or an asset among thousands without listing them all.

A picker is a search field plus a ``<select>`` (one value) or a list of checkboxes (several
values) that initially holds only the chosen value(s), so a page renders a handful of
``<option>`` tags whatever the number of rows. Typing asks the kind's search endpoint
(htmx) for up to ``PICKER_LIMIT`` matches, which replace the choices; the chosen values
stay. Without JavaScript the current value is still there and is submitted as before.

Three parts use it:

- ``PickerSource``: what a kind of picker searches (rows the user may pick, scoped to
  them; the fields searched; the label of one row; the search endpoint's URL name).
- ``PickerWidget``: the form widget of a ``ModelChoiceField`` / ``ModelMultipleChoiceField``.
  The field's queryset still validates the posted ids on the server.
- ``core.listing.Filter(picker=...)``: a list filter that takes an id (``?owner=3``).

``picker_search`` answers a search endpoint; each kind has a thin view that checks its
permission and calls it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Model, Q, QuerySet
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core.users import UserLike

PICKER_LIMIT = 20  # matches per search
MAX_CHOSEN = 200  # chosen values a picker keeps (a multi-value picker posts at most this many)
MAX_QUERY = 100

# Labels of the empty choice, by key (the search endpoint takes a key, never a label to echo).
BLANKS = {"any": "Any", "no-owner": "No owner", "nobody": "Nobody (unassign)", "empty": "None"}
# Fixed choices a filter may offer besides the rows, by value (e.g. controls without an owner).
EXTRAS = {"none": "No owner"}
# Parameters of the search endpoint itself; a picked field may not carry one of these names.
RESERVED = frozenset({"q", "field", "blank", "extra", "multiple", "among", "active"})
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,49}$")


@dataclass(frozen=True)
class PickerSource:
    """What one kind of picker searches, for one user."""

    url_name: str
    # (user, params) -> the rows the user may pick, already scoped; params carry the
    # picker's fixed options (``among``, ``active``), never free text.
    rows: Callable[[Any, Mapping[str, str]], QuerySet[Any]]
    search: Callable[[str], Q]
    order: tuple[str, ...]
    label: Callable[[Any], str]
    placeholder: str = "Type to search"

    def label_for(self, user: UserLike, raw: str, params: Mapping[str, str] | None = None) -> str | None:
        """The label of row ``raw`` if the user may pick it, else None (nothing leaks)."""
        ids = clean_ids([raw])
        if not ids:
            return None
        row = self.rows(user, params or {}).filter(pk=ids[0]).first()
        return None if row is None else self.label(row)


def clean_text(value: Any, limit: int = MAX_QUERY) -> str:
    """Text of a query parameter without NUL characters (no database accepts them), cut to ``limit``."""
    return str(value or "").replace("\x00", "").strip()[:limit]


def clean_ids(values: Iterable[Any]) -> list[int]:
    """The positive integer ids among ``values``; anything else is dropped, at most MAX_CHOSEN."""
    ids: list[int] = []
    for value in list(values)[:MAX_CHOSEN]:
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) < 19:
            ids.append(int(text))
    return ids


def picker_context(
    *,
    name: str,
    id_: str,
    url: str,
    chosen: list[tuple[str, str]],
    selected: list[str] | None = None,
    blank: str = "",
    extra: str = "",
    multiple: bool = False,
    params: Mapping[str, str] | None = None,
    placeholder: str = "Type to search",
    label: str = "",
    attrs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything ``includes/picker.html`` needs to render one picker."""
    vals: dict[str, str] = {"field": name, **(params or {})}
    if blank:
        vals["blank"] = blank
    if extra:
        vals["extra"] = extra
    if multiple:
        vals["multiple"] = "1"
    return {
        "name": name,
        "id": id_,
        "url": url,
        "vals": json.dumps(vals),
        "multiple": multiple,
        "blank": BLANKS.get(blank, ""),
        "extra": (extra, EXTRAS[extra]) if extra in EXTRAS else None,
        "selected": [str(s) for s in (selected or [])],
        "chosen": chosen,
        "matches": [],
        "searched": False,
        "query": "",
        "more": False,
        "placeholder": placeholder,
        "label": label,
        "attrs_html": _attrs_html(attrs),
    }


def _attrs_html(attrs: Mapping[str, Any] | None) -> str:
    """The select's other attributes (class, aria-describedby...), escaped."""
    kept: dict[str, Any] = {"class": "form-select"}
    for key, value in (attrs or {}).items():
        if key in ("id", "name") or value is False or value is None:
            continue
        kept[key] = "" if value is True else str(value)
    return flatatt(kept)


def picker_search(request: HttpRequest, source: PickerSource, user: UserLike) -> HttpResponse:
    """The choices of a picker (htmx): the chosen values, then up to PICKER_LIMIT rows matching ``q``.

    The caller has checked the user's permission; ``source.rows`` scopes what they may see.
    Malformed input (NUL bytes, a huge query, ids that are not numbers) is cleaned, never a 500.
    """
    get = request.GET
    name = clean_text(get.get("field"), 50)
    if not FIELD_NAME.match(name) or name in RESERVED:
        name = "value"
    params = {key: clean_text(get.get(key), 30) for key in ("among", "active")}
    rows = source.rows(user, params)
    selected_raw = [clean_text(v, 20) for v in get.getlist(name)[:MAX_CHOSEN]]
    ids = clean_ids(selected_raw)
    chosen_rows = list(rows.filter(pk__in=ids).order_by(*source.order)) if ids else []
    query = clean_text(get.get("q"))
    found = rows.filter(source.search(query)) if query else rows
    found = found.exclude(pk__in=[r.pk for r in chosen_rows]).order_by(*source.order)
    matches = list(found[: PICKER_LIMIT + 1])
    context = picker_context(
        name=name,
        id_=f"picker-{name}",
        url="",
        chosen=[(str(r.pk), source.label(r)) for r in chosen_rows],
        selected=selected_raw,
        blank=clean_text(get.get("blank"), 20),
        extra=clean_text(get.get("extra"), 20),
        multiple=get.get("multiple") == "1",
    )
    context.update(
        matches=[(str(r.pk), source.label(r)) for r in matches[:PICKER_LIMIT]],
        more=len(matches) > PICKER_LIMIT,
        searched=True,
        query=query,
        limit=PICKER_LIMIT,
    )
    return render(request, "includes/picker_choices.html", {"p": context})


class PickerWidget(forms.Widget):
    """The widget of a model choice field that searches instead of listing every row.

    It renders only the chosen value(s), resolved through the field's queryset (so a
    value the user may not pick is never labelled), and posts ids under the field's name.
    """

    template_name = "includes/picker_widget.html"
    choices: Any = ()

    def __init__(
        self,
        source: PickerSource,
        *,
        blank: str = "empty",
        multiple: bool = False,
        params: Mapping[str, str] | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.source = source
        self.blank = "" if multiple else blank
        self.multiple = multiple
        self.allow_multiple_selected = multiple
        self.params = dict(params or {})

    def __deepcopy__(self, memo: dict[int, Any]) -> PickerWidget:
        copy = super().__deepcopy__(memo)
        copy.params = dict(self.params)
        return copy

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.multiple and hasattr(data, "getlist"):
            return data.getlist(name)
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False if self.multiple else name not in data

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        if self.multiple:
            return f"{id_}_search" if id_ else ""
        return id_

    def _values(self, value: Any) -> list[str]:
        if value is None:
            return []
        items = value if isinstance(value, list | tuple) else [value]
        return [str(v.pk if isinstance(v, Model) else v) for v in items if v not in (None, "")]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        values = self._values(value)
        ids = clean_ids(values)
        queryset = getattr(self.choices, "queryset", None)
        field = getattr(self.choices, "field", None)
        label = getattr(field, "label_from_instance", self.source.label)
        chosen: list[tuple[str, str]] = []
        if ids and queryset is not None:
            chosen = [(str(obj.pk), label(obj)) for obj in queryset.filter(pk__in=ids).order_by(*self.source.order)]
        widget_attrs = context["widget"]["attrs"]
        context["p"] = picker_context(
            name=name,
            id_=widget_attrs.get("id") or f"id_{name}",
            url=reverse(self.source.url_name),
            chosen=chosen,
            selected=values,
            blank=self.blank,
            multiple=self.multiple,
            params=self.params,
            placeholder=self.source.placeholder,
            label=str(getattr(field, "label", "") or ""),
            attrs=widget_attrs,
        )
        return context
