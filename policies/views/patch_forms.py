"""Forms of the patch-check pages. Rules live in the services; forms only parse."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from governance.models import ComplianceException
from policies.models import Inventory, PatchPolicy
from policies.services.inventories import MAX_INVENTORY_BYTES
from policies.services.patch_findings import MAX_SLA_DAYS


class StyledForm(forms.Form):
    """Bootstrap classes on every widget; help texts tied to their fields for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}_help"


class InventoryUploadForm(StyledForm):
    asset = forms.CharField(
        label="Asset",
        max_length=200,
        help_text="The asset's name, as in the asset inventory; a new name adds the asset.",
    )
    file = forms.FileField(
        label="Inventory file",
        help_text="dpkg-query output, pip inspect JSON or pip freeze, package-lock.json (v2/v3) or a CycloneDX "
        "JSON SBOM (1.4-1.6).",
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the content"), *Inventory.Format.choices],
    )
    release = forms.CharField(
        label="Debian release",
        required=False,
        max_length=30,
        help_text="For dpkg (and CycloneDX without a distro): e.g. debian:12. Default: the asset's.",
    )
    scope = forms.CharField(
        label="Scope",
        required=False,
        max_length=100,
        help_text="What part of the asset it covers, e.g. 'venv /opt/app'. Default: the format; the newest "
        "inventory of each scope is current.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_INVENTORY_BYTES:
            raise forms.ValidationError(f"An inventory is at most {MAX_INVENTORY_BYTES // (1024 * 1024)} MB.")
        return upload


class PatchPolicyForm(StyledForm):
    known_exploited_days = forms.IntegerField(
        label="Known exploited", min_value=0, max_value=MAX_SLA_DAYS, help_text="Days, whatever the severity."
    )
    critical_days = forms.IntegerField(label="Critical", min_value=0, max_value=MAX_SLA_DAYS)
    high_days = forms.IntegerField(
        label="High", min_value=0, max_value=MAX_SLA_DAYS, help_text="Also for an unknown severity."
    )
    medium_days = forms.IntegerField(label="Medium", min_value=0, max_value=MAX_SLA_DAYS)
    low_days = forms.IntegerField(label="Low", min_value=0, max_value=MAX_SLA_DAYS)

    @classmethod
    def initial_from(cls, policy: PatchPolicy) -> dict[str, int]:
        return {name: getattr(policy, name) for name in PatchPolicy.FIELDS}


def exceptions_in_force() -> Any:
    return (
        ComplianceException.objects.filter(ComplianceException.in_force(timezone.localdate()))
        .select_related("control", "requirement")
        .order_by("expires_on", "pk")
    )


def _exception_label(exception: ComplianceException) -> str:
    return f"{exception.title} (until {exception.expires_on:%Y-%m-%d})"


class AcceptFindingForm(StyledForm):
    exception = forms.ModelChoiceField(
        label="Approved exception",
        queryset=ComplianceException.objects.none(),
        help_text="An approved exception still in force (ask a compliance officer for one).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["exception"])
        field.queryset = exceptions_in_force()
        field.label_from_instance = _exception_label  # type: ignore[method-assign,assignment]
