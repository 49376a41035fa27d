"""Forms of the control pages. They parse input; rules live in governance.services.controls."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from access.models import Role, User
from governance.models import Control, Frequency, Outcome, Requirement

OWNER_ROLES = (Role.CONTROL_OWNER, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR)


def owner_candidates() -> QuerySet[User]:
    """Active users who may sensibly own a control (the roles that work on controls)."""
    return User.objects.filter(is_active=True, groups__name__in=OWNER_ROLES).distinct().order_by("full_name", "email")


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name()} <{obj.email}>"


class RequirementChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        removed = " (removed from the framework)" if obj.removed_at else ""
        return f"{obj.framework.name}: {obj.ref_id} {obj.title}{removed}"


def _textarea(label: str, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": rows})
    )


class ControlForm(forms.Form):
    """Create or edit a control with its requirement mapping.

    ``can_assign`` (global change_control) shows the owner field; without it the
    reference is read-only too, as only Compliance officers may change it.
    """

    ref = forms.CharField(
        label="Reference", max_length=50, help_text="A short code, e.g. CTL-012.", widget=forms.TextInput()
    )
    title = forms.CharField(label="Title", max_length=300, widget=forms.TextInput())
    description = _textarea("Description", 4)
    owner = OwnerChoiceField(
        label="Owner",
        queryset=User.objects.none(),
        required=False,
        help_text="The owner sees and edits this control and records its tests.",
    )
    status = forms.ChoiceField(label="Status", choices=Control.Status.choices)
    test_frequency = forms.ChoiceField(label="Test frequency", choices=Frequency.choices)
    implementation_notes = _textarea("Implementation notes")
    expected_evidence = _textarea("Expected evidence")
    requirements = RequirementChoiceField(
        label="Requirements met",
        queryset=Requirement.objects.none(),
        required=False,
        help_text="Hold Ctrl (or ⌘) to choose several, across frameworks.",
    )

    def __init__(self, *args: Any, control: Control | None = None, can_assign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mappable = Q(is_section=False, removed_at__isnull=True)
        if control is not None:
            mappable |= Q(pk__in=control.requirements.values("pk"))
        self.fields["requirements"].queryset = (  # type: ignore[attr-defined]
            Requirement.objects.filter(mappable).select_related("framework").order_by("framework__name", "order", "pk")
        )
        self.fields["requirements"].widget.attrs.update({"size": 12})
        if can_assign:
            self.fields["owner"].queryset = owner_candidates()  # type: ignore[attr-defined]
        else:
            del self.fields["owner"]
            if control is not None:
                self.fields["ref"].disabled = True
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class RecordTestForm(forms.Form):
    result = forms.ChoiceField(
        label="Result",
        choices=Outcome.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    performed_on = forms.DateField(
        label="Performed on",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    notes = _textarea("Notes", 4)
    evidence_reference = forms.CharField(
        label="Evidence reference",
        max_length=500,
        required=False,
        help_text="A link or the location of the evidence (ticket, document, screenshot folder).",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    evidence_file = forms.FileField(
        label="Evidence file", required=False, widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"performed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class BulkOwnerForm(forms.Form):
    owner = OwnerChoiceField(
        label="New owner",
        queryset=User.objects.none(),
        required=False,
        empty_label="No owner",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    controls = forms.ModelMultipleChoiceField(queryset=Control.objects.none(), label="Controls")

    def __init__(self, *args: Any, controls: QuerySet[Control], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_candidates()  # type: ignore[attr-defined]
        self.fields["controls"].queryset = controls  # type: ignore[attr-defined]
        self.fields["controls"].error_messages["required"] = "Tick at least one control in the list."
