"""Multi-value picker fields for forms of other apps that link to governance objects.

The evidence form (``audits``) links a piece of evidence to controls, requirements and control
tests; each is a type-ahead picker (``core.pickers``), never a list of every row. The page sets
each field's queryset to the rows the user may link; a posted id outside it is a form error
naming the field.
"""

from __future__ import annotations

from typing import Any

from django import forms

from core.pickers import PickerWidget
from governance.forms.risks import _picked_errors
from governance.models import ControlTest, Requirement
from governance.selectors.pickers import CONTROL_TESTS, REQUIREMENTS, control_test_label, requirement_label


class RequirementsField(forms.ModelMultipleChoiceField):
    """Current requirements, ticked after a search by reference, title or framework."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Requirement.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", PickerWidget(REQUIREMENTS, multiple=True))
        kwargs.setdefault("error_messages", _picked_errors(kwargs.get("label") or "Requirements", "requirement"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return requirement_label(obj)


class ControlTestsField(forms.ModelMultipleChoiceField):
    """Tests of controls, ticked after a search by the control's reference or title."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", ControlTest.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", PickerWidget(CONTROL_TESTS, multiple=True))
        kwargs.setdefault("error_messages", _picked_errors(kwargs.get("label") or "Control tests", "test"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return control_test_label(obj)
