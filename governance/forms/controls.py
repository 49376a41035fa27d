"""Forms of the control pages. They parse input; rules live in governance.services.controls."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from access.models import User
from core.pickers import PickerWidget
from governance.forms.risks import BulkOwnerForm
from governance.models import Control, Framework, Frequency, Outcome, Requirement
from governance.scoping import scoped
from governance.selectors.pickers import PEOPLE, owner_candidates, person_label


class OwnerChoiceField(forms.ModelChoiceField):
    """A control owner, picked by typing (the page never lists every user)."""

    default_error_messages = {
        "invalid_choice": "Owner: choose a person the search offers; this one is unknown or may not own controls.",
    }

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


def owner_picker(blank: str = "empty") -> PickerWidget:
    return PickerWidget(PEOPLE, blank=blank, params={"among": "control-owners"})


class RequirementChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        removed = " (removed from the framework)" if obj.removed_at else ""
        return f"{obj.framework.name}: {obj.ref_id} {obj.title}{removed}"


PICKER_MAX_RESULTS = 50
PICKER_MAX_SELECTED = 1000
PICKER_ORDER = ("framework__name", "order", "pk")


def requirements_for_picker(user: User | None) -> QuerySet[Requirement]:
    """Requirements of the frameworks ``user`` may see, with their framework joined."""
    if user is None or not user.has_perm("governance.view_requirement"):
        return Requirement.objects.none()
    frameworks = scoped(user, Framework.objects.all())
    return Requirement.objects.filter(framework__in=frameworks).select_related("framework")


def picker_ids(values: Any) -> list[int]:
    """The integer ids among ``values`` (posted strings or ints); anything else is dropped."""
    return [int(v) for v in list(values or [])[:PICKER_MAX_SELECTED] if str(v).isdigit()]


def picker_matches(requirements: QuerySet[Requirement], query: str, exclude: list[int]) -> list[Requirement]:
    """Up to PICKER_MAX_RESULTS + 1 mappable requirements whose ref_id or title contains ``query``."""
    query = query.strip()
    if not query:
        return []
    found = requirements.filter(Q(ref_id__icontains=query) | Q(title__icontains=query))
    found = found.filter(is_section=False, removed_at__isnull=True).exclude(pk__in=exclude)
    return list(found.order_by(*PICKER_ORDER)[: PICKER_MAX_RESULTS + 1])


class RequirementPicker(forms.CheckboxSelectMultiple):
    """A search field (htmx) over the requirements plus the chosen ones as ticked checkboxes.

    Unlike Django's widget it never lists every choice: with thousands of requirements
    the page would be huge. It posts the ticked ids under the field's name, like a
    multi-select; the field and the service validate them.
    """

    template_name = "governance/controls/_requirement_picker.html"

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return f"{id_}_search" if id_ else ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = forms.Widget.get_context(self, name, value, attrs)
        queryset = getattr(self.choices, "queryset", Requirement.objects.none())
        ids = picker_ids(value if isinstance(value, list | tuple) else [value])
        context["selected"] = list(queryset.filter(pk__in=ids).order_by(*PICKER_ORDER))
        context["search_url"] = reverse("governance:control_requirement_search")
        return context


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
        widget=owner_picker(),
        help_text="Type part of a name or email, then choose. The owner sees and edits this control "
        "and records its tests.",
    )
    status = forms.ChoiceField(label="Status", choices=Control.Status.choices)
    test_frequency = forms.ChoiceField(label="Test frequency", choices=Frequency.choices)
    implementation_notes = _textarea("Implementation notes")
    expected_evidence = _textarea("Expected evidence")
    requirements = RequirementChoiceField(
        label="Requirements met",
        queryset=Requirement.objects.none(),
        required=False,
        widget=RequirementPicker(),
        help_text="Search by reference or title, then tick the requirements this control meets, across frameworks. "
        "Untick one to unmap it.",
    )

    def __init__(
        self,
        *args: Any,
        user: User | None = None,
        control: Control | None = None,
        can_assign: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        mappable = Q(is_section=False, removed_at__isnull=True)
        if control is not None:
            mappable |= Q(pk__in=control.requirements.values("pk"))
        self.fields["requirements"].queryset = requirements_for_picker(user).filter(mappable)  # type: ignore[attr-defined]
        if can_assign:
            self.fields["owner"].queryset = owner_candidates()  # type: ignore[attr-defined]
        else:
            del self.fields["owner"]
            if control is not None:
                self.fields["ref"].disabled = True
        for field in self.fields.values():
            if isinstance(field.widget, RequirementPicker | PickerWidget):
                continue
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


class ControlBulkOwnerForm(BulkOwnerForm):
    """The bulk form of the controls list: only people who may own controls are offered."""

    owner = OwnerChoiceField(  # type: ignore[assignment]
        label="New owner",
        queryset=User.objects.none(),
        required=False,
        empty_label="No owner",
        widget=owner_picker("no-owner"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_candidates()  # type: ignore[attr-defined]
