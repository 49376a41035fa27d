"""Filters of the run history, shared by the page and the API."""

from __future__ import annotations

from typing import Any

from core.filters import ChoiceFilter, ListFilterSet
from jobs.models import JobRun
from jobs.selectors import job_choices


class JobRunFilterSet(ListFilterSet):
    """``job`` (the page's name) and ``job_id`` (the API's) both take a registered job id."""

    job = ChoiceFilter(label="Job", field_name="job_id", choices=(), empty_label="Any job")
    job_id = ChoiceFilter(label="Job id", field_name="job_id", choices=(), help_text="Only runs of this job.")
    status = ChoiceFilter(label="Status", choices=JobRun.Status.choices, empty_label="Any status")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = job_choices()
        self.set_choices("job", choices)
        self.set_choices("job_id", choices)
        for name in ("job", "status"):
            self.form.fields[name].widget.attrs["class"] = "form-select"
