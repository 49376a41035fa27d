"""Input validation of the evidence and engagement pages; service errors become form errors."""

from __future__ import annotations

from typing import Any

from django import forms

from access.models import Role, User
from audits.models import Evidence, EvidenceRequest
from governance.forms.pickers import ControlTestsField, RequirementsField
from governance.forms.risks import ControlsField
from governance.models import Control, Framework, Requirement


class EvidenceForm(forms.Form):
    title = forms.CharField(max_length=300)
    kind = forms.ChoiceField(choices=Evidence.Kind.choices, initial=Evidence.Kind.FILE)
    file = forms.FileField(
        required=False, help_text="Stored as uploaded; always downloaded, never opened in the browser."
    )
    url = forms.URLField(required=False, max_length=1000, label="Link", assume_scheme="https")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    collected_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    controls = ControlsField(help_text="The controls this evidence supports: type a reference or title.")
    requirements = RequirementsField(help_text="Requirements it shows are met: type a reference, title or framework.")
    control_tests = ControlTestsField(
        label="Control tests", help_text="Tests it documents: type the control's reference or title."
    )

    def __init__(
        self, *args: Any, controls: Any = None, requirements: Any = None, control_tests: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = {"controls": controls, "requirements": requirements, "control_tests": control_tests}
        for name, queryset in choices.items():
            field: Any = self.fields[name]
            field.queryset = queryset if queryset is not None else field.queryset.none()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Evidence.Kind.FILE and not data.get("file"):
            self.add_error("file", "Choose the file to upload.")
        if kind == Evidence.Kind.LINK and not data.get("url"):
            self.add_error("url", "Give the link's address.")
        if kind == Evidence.Kind.NOTE and not data.get("note"):
            self.add_error("note", "Write the note.")
        start, end = data.get("collected_on"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", "Evidence cannot expire before it was collected.")
        return data


class EngagementForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Period from")
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Period to")
    frameworks = forms.ModelMultipleChoiceField(queryset=Framework.objects.order_by("name"), required=False)
    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.select_related("framework").order_by("framework__key", "ref_id"), required=False
    )
    controls = forms.ModelMultipleChoiceField(queryset=Control.objects.order_by("ref"), required=False)
    auditors = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(groups__name=Role.AUDITOR, is_active=True).order_by("email"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The period must end on or after its first day.")
        if not (data.get("frameworks") or data.get("requirements") or data.get("controls")):
            raise forms.ValidationError("Choose what is in scope: frameworks, requirements or controls.")
        return data


class RequestForm(forms.Form):
    title = forms.CharField(max_length=300)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    requirement = forms.ModelChoiceField(queryset=Requirement.objects.none(), required=False)
    control = forms.ModelChoiceField(queryset=Control.objects.none(), required=False)
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, requirements: Any, controls: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        requirement: Any = self.fields["requirement"]
        requirement.queryset = requirements
        control: Any = self.fields["control"]
        control.queryset = controls


class SubmitForm(forms.Form):
    evidence = forms.ModelMultipleChoiceField(queryset=Evidence.objects.none())
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, evidence: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["evidence"]
        field.queryset = evidence


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(EvidenceRequest.Status.ACCEPTED, "Accept"), (EvidenceRequest.Status.REJECTED, "Reject")]
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RequestImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with the columns title, description, requirement, control, owner, due_date.")
