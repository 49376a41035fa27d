"""Forms of the risk, asset, exception and finding pages. Rules live in services; forms only parse."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from access.models import User
from core.forms import add_service_errors as add_service_errors  # the pages import it from here
from core.pickers import PickerWidget
from governance.models import Asset, Control, Finding, Requirement, Risk, RiskMatrix
from governance.selectors.pickers import (
    ASSETS,
    CONTROLS,
    PEOPLE,
    REQUIREMENTS,
    asset_label,
    assets_for_picker,
    control_label,
    person_label,
    requirement_label,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and errors tied to fields for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple | PickerWidget):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}_help"


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("full_name", "email")


def _picked_errors(label: str, noun: str) -> dict[str, str]:
    """Errors of a multi-value picker that name the field (a posted id the user may not pick)."""
    message = f"{label}: choose {noun}s the search offers; %(value)s is unknown or may not be chosen."
    # Django names the posted value ``pk`` when it is not an id at all (a KeyError, a 500, otherwise).
    not_an_id = f"{label}: choose {noun}s the search offers; %(pk)s is not one of them."
    return {"invalid_choice": message, "invalid_pk_value": not_an_id}


class PersonField(forms.ModelChoiceField):
    """One person, picked by typing a name or email (the page never lists every user).

    ``among`` narrows the search to the people the field accepts ("control-owners");
    the field's queryset still validates the posted id.
    """

    def __init__(self, *, blank: str = "empty", among: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.none())
        kwargs.setdefault("required", False)
        params = {"among": among} if among else {}
        kwargs.setdefault("widget", PickerWidget(PEOPLE, blank=blank, params=params))
        message = f"{kwargs.get('label') or 'Person'}: choose a person the search offers; this one is unknown"
        kwargs.setdefault("error_messages", {"invalid_choice": f"{message} or may not be chosen."})
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class RequirementField(forms.ModelChoiceField):
    """One current requirement, picked by typing part of its reference, title or framework."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "queryset",
            Requirement.objects.filter(removed_at__isnull=True, is_section=False).select_related("framework"),
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", PickerWidget(REQUIREMENTS, blank="empty"))
        message = "Requirement: choose one the search offers; this one is unknown or removed."
        kwargs.setdefault("error_messages", {"invalid_choice": message})
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return requirement_label(obj)


class AssetsField(forms.ModelMultipleChoiceField):
    """Active assets, ticked after a search by name or kind (the page never lists every asset)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Asset.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", PickerWidget(ASSETS, multiple=True, params={"active": "1"}))
        kwargs.setdefault("error_messages", _picked_errors(kwargs.get("label") or "Assets", "asset"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return asset_label(obj)


def _levels(labels: list[str]) -> list[tuple[str, str]]:
    return [(str(i), f"{i} - {label}") for i, label in enumerate(labels, start=1)]


class ControlsField(forms.ModelMultipleChoiceField):
    """Controls, ticked after a search by reference or title (the page never lists every control)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Control.objects.none())
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", PickerWidget(CONTROLS, multiple=True))
        kwargs.setdefault("error_messages", _picked_errors(kwargs.get("label") or "Controls", "control"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return control_label(obj)


# --- Risks ---


class RiskForm(StyledForm):
    ref = forms.CharField(
        label="Reference", max_length=50, required=False, help_text="Leave empty to number it (RSK-0001...)."
    )
    title = forms.CharField(label="Title", max_length=300)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    threat = forms.CharField(label="Threat", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    vulnerability = forms.CharField(label="Vulnerability", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner = PersonField(label="Owner", help_text="Type part of a name or email, then choose.")
    assets = AssetsField(label="Assets", help_text="Search by name or kind, then tick the assets this risk threatens.")
    inherent_likelihood = forms.ChoiceField(label="Inherent likelihood")
    inherent_impact = forms.ChoiceField(label="Inherent impact")
    residual_likelihood = forms.ChoiceField(label="Residual likelihood", help_text="After the treatment.")
    residual_impact = forms.ChoiceField(label="Residual impact", help_text="After the treatment.")
    treatment = forms.ChoiceField(label="Treatment", choices=Risk.Treatment.choices)
    treatment_plan = forms.CharField(
        label="Treatment plan",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required to transfer or avoid a risk: say how.",
    )
    controls = ControlsField(
        label="Mitigating controls", help_text="Search by reference or title, then tick the controls."
    )
    acceptance_expires_on = forms.DateField(
        label="Acceptance expires on",
        widget=DATE,
        required=False,
        help_text="For an accepted risk: in the future, at most three years ahead. Recording or renewing an "
        "acceptance records you as its approver; you may not own the risk you accept.",
    )
    review_date = forms.DateField(label="Next review", widget=DATE, required=False)

    MANAGER_FIELDS = ("ref", "owner", "acceptance_expires_on")

    def __init__(
        self,
        *args: Any,
        matrix: RiskMatrix,
        controls: QuerySet[Control],
        can_manage: bool,
        user: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields = self.fields
        for name in ("inherent_likelihood", "residual_likelihood"):
            cast(forms.ChoiceField, fields[name]).choices = _levels(matrix.likelihood_labels)
        for name in ("inherent_impact", "residual_impact"):
            cast(forms.ChoiceField, fields[name]).choices = _levels(matrix.impact_labels)
        cast(forms.ModelChoiceField, fields["owner"]).queryset = active_users()
        # The assets the user may pick: the inventory, or (a risk owner) the assets of their risks.
        cast(forms.ModelMultipleChoiceField, fields["assets"]).queryset = assets_for_picker(user, {"active": "1"})
        cast(forms.ModelMultipleChoiceField, fields["controls"]).queryset = controls
        if not can_manage:
            # Owners edit their risk's content; the owner and any acceptance are a risk manager's call.
            for name in self.MANAGER_FIELDS:
                del fields[name]
            cast(forms.ChoiceField, fields["treatment"]).help_text = "Only a risk manager can record an acceptance."
        self.style()


class RiskMatrixForm(StyledForm):
    size = forms.TypedChoiceField(
        label="Size", coerce=int, choices=[(3, "3 x 3"), (4, "4 x 4"), (5, "5 x 5")], help_text="Levels per axis."
    )
    likelihood_labels = forms.CharField(
        label="Likelihood labels",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line, lowest first; as many as the size.",
    )
    impact_labels = forms.CharField(
        label="Impact labels",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line, lowest first; as many as the size.",
    )
    bands = forms.CharField(
        label="Colour bands",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line, lowest first: <code>highest score | label | #colour</code>, "
        "e.g. <code>4 | Low | #2e7d32</code>. The last band reaches size x size.",
    )

    @staticmethod
    def initial_for(matrix: RiskMatrix) -> dict[str, Any]:
        return {
            "size": matrix.size,
            "likelihood_labels": "\n".join(matrix.likelihood_labels),
            "impact_labels": "\n".join(matrix.impact_labels),
            "bands": "\n".join(f"{b['max_score']} | {b['label']} | {b['colour']}" for b in matrix.bands),
        }

    def clean_likelihood_labels(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["likelihood_labels"].splitlines() if line.strip()]

    def clean_impact_labels(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["impact_labels"].splitlines() if line.strip()]

    def clean_bands(self) -> list[dict[str, Any]]:
        bands = []
        for number, line in enumerate(self.cleaned_data["bands"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not parts[0].isdigit():
                raise ValidationError(f"Line {number}: write “highest score | label | #colour”.")
            bands.append({"max_score": int(parts[0]), "label": parts[1], "colour": parts[2]})
        return bands


class BulkOwnerForm(StyledForm):
    owner = PersonField(label="New owner", blank="nobody", empty_label="Nobody (unassign)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = active_users()

    def selected_ids(self) -> list[int]:
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        return sorted({int(v) for v in raw if str(v).isdigit()})[:1000]


class AssignTestsForm(BulkOwnerForm):
    """The bulk form of planned control tests: the person who is to perform them."""

    owner = PersonField(label="Assign to", blank="nobody", empty_label="Nobody (the control's owner)")


# --- Assets ---


class AssetForm(StyledForm):
    name = forms.CharField(label="Name", max_length=200)
    kind = forms.ChoiceField(label="Kind", choices=Asset.Kind.choices)
    owner = PersonField(label="Owner")
    data_classification = forms.ChoiceField(label="Data classification", choices=Asset.Classification.choices)
    criticality = forms.ChoiceField(label="Criticality", choices=Asset.Criticality.choices)
    vendor = forms.CharField(label="Vendor", max_length=200, required=False)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = active_users()


# --- Exceptions and findings: requirements are picked by typing; controls and risks are named by reference ---


def parse_control(raw: str) -> Control | None:
    if not raw.strip():
        return None
    control = Control.objects.filter(ref=raw.strip()).first()
    if control is None:
        raise ValidationError(f"No control with reference “{raw.strip()}”.")
    return control


def parse_risk(raw: str) -> Risk | None:
    if not raw.strip():
        return None
    risk = Risk.objects.filter(ref=raw.strip()).first()
    if risk is None:
        raise ValidationError(f"No risk with reference “{raw.strip()}”.")
    return risk


class ExceptionRequestForm(StyledForm):
    title = forms.CharField(label="Title", max_length=300)
    requirement = RequirementField(
        label="Requirement",
        help_text="Type part of its reference or title (e.g. AC-01 or “backups”) and pick it. "
        "A requirement, a control or both.",
    )
    control = forms.CharField(label="Control", max_length=50, required=False, help_text="Control reference.")
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))
    compensating_measures = forms.CharField(
        label="Compensating measures", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    expires_on = forms.DateField(label="Ends on", widget=DATE, help_text="At most a year from today.")

    def clean_control(self) -> Control | None:
        return parse_control(self.cleaned_data["control"])


class ExceptionDecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label="Decision", choices=(("", "Choose…"), ("approve", "Approve"), ("reject", "Reject"))
    )
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Required to reject."
    )


class ExceptionRevokeForm(StyledForm):
    note = forms.CharField(label="Why is it revoked?", widget=forms.Textarea(attrs={"rows": 3}))


class FindingForm(StyledForm):
    title = forms.CharField(label="Title", max_length=300)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    severity = forms.ChoiceField(label="Severity", choices=Finding.Severity.choices, initial=Finding.Severity.MEDIUM)
    status = forms.ChoiceField(
        label="Status", choices=[c for c in Finding.Status.choices if c[0] != Finding.Status.CLOSED]
    )
    control = forms.CharField(label="Control", max_length=50, required=False, help_text="Control reference.")
    requirement = RequirementField(label="Requirement", help_text="Type part of its reference or title and pick it.")
    risk = forms.CharField(label="Risk", max_length=50, required=False, help_text="Risk reference, e.g. RSK-0003.")
    owner = PersonField(label="Owner")
    due_date = forms.DateField(label="Due date", widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = active_users()

    def clean_control(self) -> Control | None:
        return parse_control(self.cleaned_data["control"])

    def clean_risk(self) -> Risk | None:
        return parse_risk(self.cleaned_data["risk"])

    @staticmethod
    def initial_for(finding: Finding) -> dict[str, Any]:
        return {
            "title": finding.title,
            "description": finding.description,
            "severity": finding.severity,
            "status": finding.status,
            "control": finding.control.ref if finding.control else "",
            "requirement": finding.requirement_id,
            "risk": finding.risk.ref if finding.risk else "",
            "owner": finding.owner_id,
            "due_date": finding.due_date,
        }
