"""Forms of the backups pages: plans and recipients. The services validate again (model ``full_clean``)."""

from __future__ import annotations

from typing import Any

from django import forms

from backups.models import BackupPlan, BackupRecipient


class PlanForm(forms.ModelForm):
    recipients = forms.ModelMultipleChoiceField(
        queryset=BackupRecipient.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Whose keys can decrypt the sets. None ticked: every active recipient.",
    )

    class Meta:
        model = BackupPlan
        fields = [
            "name",
            "what",
            "cron",
            "destination",
            "compression",
            "keep_daily",
            "keep_weekly",
            "keep_monthly",
            "recipients",
            "active",
        ]
        labels = {
            "what": "What to back up",
            "cron": "Schedule (cron, UTC)",
            "compression": "Compress (zstd)",
            "keep_daily": "Keep daily",
            "keep_weekly": "Keep weekly",
            "keep_monthly": "Keep monthly",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recipients = self.fields["recipients"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        recipients.queryset = BackupRecipient.objects.filter(active=True).order_by("name")
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
            else:
                field.widget.attrs["class"] = "form-control"
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_help"
        self.fields["cron"].widget.attrs["class"] += " font-monospace"
        self.fields["cron"].widget.attrs["autocomplete"] = "off"


class RecipientForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who holds the private key, e.g. 'IT safe, offline laptop'.")
    public_key = forms.CharField(
        max_length=100,
        label="Public key",
        help_text="The <code>age1...</code> line that <code>age-keygen</code> prints. Never paste the secret key.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.update(
                {"class": "form-control", "aria-describedby": f"id_{name}_help", "autocomplete": "off"}
            )
        self.fields["public_key"].widget.attrs["class"] += " font-monospace"
