"""Forms of the job pages: schedule edits (the run history filters are in ``jobs.filters``)."""

from __future__ import annotations

from typing import Any

from django import forms


class JobScheduleForm(forms.Form):
    cron = forms.CharField(
        required=False,
        max_length=100,
        label="Cron expression",
        help_text="Five fields in UTC: minute hour day month weekday, e.g. <code>30 2 * * *</code> (02:30 daily). "
        "Leave empty to use an interval.",
    )
    interval_seconds = forms.IntegerField(
        required=False, min_value=1, label="Interval in seconds", help_text="Used when no cron expression is given."
    )
    enabled = forms.BooleanField(required=False, label="Enabled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cron"].widget.attrs.update({"class": "form-control font-monospace", "autocomplete": "off"})
        self.fields["interval_seconds"].widget.attrs["class"] = "form-control"
        self.fields["enabled"].widget.attrs["class"] = "form-check-input"
        for name in ("cron", "interval_seconds"):
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_help"
