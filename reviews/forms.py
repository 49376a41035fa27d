"""Input of the access-review pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from access.models import User
from core.pickers import PickerWidget
from governance.models import Asset, ComplianceException
from reviews.models import ReviewItem
from reviews.pickers import EXCEPTIONS, exception_label

MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(forms.Form):
    system = forms.CharField(max_length=200, help_text="The system's name; a new name adds it to the inventory.")
    file = forms.FileField(help_text="CSV with header account,email,entitlements,last_sign_in,status, or JSON.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return upload


class SodRuleForm(forms.Form):
    name = forms.CharField(max_length=200)
    first = forms.CharField(max_length=401, help_text="SYSTEM:ENTITLEMENT, e.g. Payments:create payment")
    second = forms.CharField(max_length=401, help_text="SYSTEM:ENTITLEMENT, e.g. Payments:approve payment")


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    systems = forms.ModelMultipleChoiceField(
        queryset=Asset.objects.filter(account_imports__is_current=True).distinct().order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Systems whose current accounts are reviewed.",
    )
    include_rampart = forms.BooleanField(required=False, label="Rampart's own users and roles")
    entitlements = forms.CharField(
        required=False, help_text="Only accounts holding one of these (separated by ;). Empty: every account."
    )
    findings = forms.MultipleChoiceField(
        choices=[("orphan", "Orphan accounts"), ("leaver", "Accounts of leavers"), ("dormant", "Dormant accounts")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only accounts with these findings; none ticked: every account.",
    )
    reviewer = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("email"),
        required=False,
        help_text="Empty: each system's owner.",
    )
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    recur_days = forms.IntegerField(required=False, min_value=1, max_value=3660, label="Repeat every (days)")

    def clean_due_on(self) -> Any:
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate():
            raise forms.ValidationError("The due date is in the past.")
        return due

    def entitlement_list(self) -> tuple[str, ...]:
        raw = self.cleaned_data.get("entitlements") or ""
        return tuple(dict.fromkeys(e.strip() for e in raw.split(";") if e.strip()))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[(d, d) for d in ReviewItem.DECIDED])
    comment = forms.CharField(required=False, max_length=2000)


class ExceptionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return exception_label(obj)


class CoverForm(forms.Form):
    """Cover one current violation (``<rule id>:<person id>``) with an exception in force."""

    violation = forms.ChoiceField(label="Violation")
    exception = ExceptionChoiceField(
        queryset=ComplianceException.objects.filter(ComplianceException.in_force()),
        widget=PickerWidget(EXCEPTIONS, blank="empty"),
        help_text="An approved exception that has not expired; it covers the violation until it expires.",
        error_messages={"invalid_choice": "Choose an approved exception that has not expired."},
    )

    def __init__(self, *args: Any, violations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["violation"]
        field.choices = [("", "Choose a violation")] + [
            (f"{v.rule.pk}:{v.person.pk}", f"{v.rule.name}: {v.person.email}") for v in violations
        ]
        exception: Any = self.fields["exception"]
        exception.queryset = ComplianceException.objects.filter(ComplianceException.in_force())
