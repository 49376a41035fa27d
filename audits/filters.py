"""Filters of the audit trail, shared by the page, its CSV and the API.

The trail is paged by sequence number (``audits.pagination``), so the filter set's job is
the parameters: it validates them (a bad value is a form error on the page, a 400 naming it
in the API, documented in the schema) and turns them into ``TrailFilters``, which the
selector applies with the indexes the trail has.
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_filters.fields
from django import forms
from django.db.models import QuerySet
from django.utils.functional import cached_property

from audits.models import LogEntry
from audits.selectors import ACTION_LABELS, ACTION_NAMES, TrailFilters, audited_content_types, filter_entries
from core.filters import DateFilter


def _object_types() -> dict[str, tuple[int, str]]:
    """``app_label.model`` -> (content type id, readable label) of every audited model."""
    found = {}
    for content_type in audited_content_types():
        name = content_type.name if content_type.model_class() is not None else content_type.model
        found[f"{content_type.app_label}.{content_type.model}"] = (content_type.pk, f"{content_type.app_label}: {name}")
    return found


class ObjectTypeField(django_filters.fields.ChoiceField):
    """An audited model as ``app_label.model`` (its content type id is read as the same)."""

    def to_python(self, value: Any) -> str:
        text = str(value or "").strip().lower()
        if text.isdigit():
            by_id = {pk: key for key, (pk, _) in _object_types().items()}
            return by_id.get(int(text[:18]), text)
        return text


class ActionField(django_filters.fields.ChoiceField):
    """``create``, ``update``, ``delete`` or ``access`` (the stored numbers are read as the same)."""

    def to_python(self, value: Any) -> str:
        text = str(value or "").strip().lower()
        if text.isdigit():
            return ACTION_LABELS.get(int(text[:4]), text)
        return text


class ObjectTypeFilter(django_filters.ChoiceFilter):
    field_class = ObjectTypeField


class ActionFilter(django_filters.ChoiceFilter):
    field_class = ActionField


class TrailForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must not be before the start date.")
        return data


class TrailFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        label="Actor", max_length=254, help_text="The actor's email address, or part of it.", method="keep"
    )
    object_type = ObjectTypeFilter(
        label="Object type",
        choices=(),
        empty_label="Any type",
        help_text="An audited model as app_label.model, e.g. access.user.",
        method="keep",
    )
    object_id = django_filters.CharFilter(label="Object id", max_length=255, method="keep")
    action = ActionFilter(
        label="Action",
        choices=[(name, name.capitalize()) for name in ACTION_NAMES],
        empty_label="Any action",
        method="keep",
    )
    date_from = DateFilter(label="From", help_text="From this day (local time), inclusive.", method="keep")
    date_to = DateFilter(label="To", help_text="Up to this day (local time), inclusive.", method="keep")

    class Meta:
        model = LogEntry
        fields: list[str] = []
        form = TrailForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        flt = self.filters["object_type"]
        # Read only when a type is asked for or the page draws its menu: a plain list costs no query.
        flt.extra["choices"] = lambda: [(key, label) for key, (_, label) in self.object_types.items()]
        flt.__dict__.pop("_field", None)

    @cached_property
    def object_types(self) -> dict[str, tuple[int, str]]:
        return _object_types()

    def keep(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        """Each value is applied together with the others, by the selector (see ``filter_queryset``)."""
        return qs

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return filter_entries(queryset, self.to_filters())

    def to_filters(self) -> TrailFilters:
        """The valid values as ``TrailFilters`` (empty when nothing was asked or something was wrong)."""
        if not self.is_bound or not self.form.is_valid():
            return TrailFilters()
        data = self.form.cleaned_data
        object_type = data.get("object_type")
        return TrailFilters(
            actor=(data.get("actor") or "").strip(),
            content_type_id=self.object_types[object_type][0] if object_type else None,
            object_id=(data.get("object_id") or "").strip(),
            action=ACTION_NAMES[data["action"]] if data.get("action") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
