"""``{{ field|bootstrap }}``: a form field drawn with Bootstrap's class for its kind of widget.

Forms may give their widgets a class themselves; a Django widget without one gets
``form-select`` (selects), ``form-check-input`` (checkboxes), or ``form-control`` (text,
numbers, dates, files, text areas), plus ``is-invalid`` when the field has errors, so no
input of a form is left unstyled.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


def bootstrap_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    return "form-control"


@register.filter
def bootstrap(field: Any) -> SafeString | Any:
    """The field's widget with a Bootstrap class when it has none (hidden inputs are left alone)."""
    widget = getattr(getattr(field, "field", None), "widget", None)
    if widget is None or widget.is_hidden or not type(widget).__module__.startswith("django."):
        return field  # our own widgets (pickers) draw their parts with their own classes
    classes = widget.attrs.get("class") or bootstrap_class(widget)
    if field.errors and "is-invalid" not in classes:
        classes = f"{classes} is-invalid"
    return field.as_widget(attrs={"class": classes})
