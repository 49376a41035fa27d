"""Filters of the audit-trail page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.contenttypes.models import ContentType

from audits.models import LogEntry
from audits.selectors import TrailFilters, audited_content_types


class ContentTypeChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.name if obj.model_class() is not None else obj.model
        return f"{obj.app_label}: {name}"


class TrailFilterForm(forms.Form):
    actor = forms.CharField(
        label="Actor", required=False, max_length=254, help_text="Part of the email address of who made the change."
    )
    object_type = ContentTypeChoiceField(
        label="Object type", queryset=ContentType.objects.none(), required=False, empty_label="Any type"
    )
    object_id = forms.CharField(label="Object id", required=False, max_length=255)
    action = forms.TypedChoiceField(
        label="Action",
        required=False,
        choices=[("", "Any action"), *LogEntry.Action.choices],
        coerce=int,
        empty_value=None,
    )
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["object_type"]).queryset = audited_content_types()  # type: ignore[type-arg]
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must not be before the start date.")
        return data

    def to_filters(self) -> TrailFilters:
        data = self.cleaned_data
        object_type = data.get("object_type")
        return TrailFilters(
            actor=(data.get("actor") or "").strip(),
            content_type_id=object_type.pk if object_type is not None else None,
            object_id=(data.get("object_id") or "").strip(),
            action=data.get("action"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
