"""Forms of the policy pages. Rules live in the services; forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import Group

from access.models import Role, User
from governance.models import Control, Requirement
from policies.models import Policy
from policies.models.documents import MAX_BODY, MAX_REVIEW_MONTHS
from policies.views.patch_forms import StyledForm

BODY_HELP = (
    "Markdown: # headings, **bold**, lists, [links](https://example.org), tables. HTML, scripts and styles "
    "are removed when the policy is shown."
)


class RequirementChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.framework.name} {obj.ref_id} {obj.title}"[:120]


class PolicyForm(StyledForm):
    """What a policy is about: title, owner, audience, review cycle, the controls and requirements it supports."""

    title = forms.CharField(label="Title", max_length=200)
    summary = forms.CharField(label="Summary", max_length=500, required=False, help_text="One or two sentences.")
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=User.objects.filter(is_active=True).order_by("full_name", "email"),
        required=False,
        empty_label="Nobody yet",
        help_text="Who keeps the policy up to date and reviews it.",
    )
    review_cycle_months = forms.IntegerField(
        label="Review every (months)", min_value=1, max_value=MAX_REVIEW_MONTHS, initial=12
    )
    audience_roles = forms.ModelMultipleChoiceField(
        label="Audience: roles",
        queryset=Group.objects.filter(name__in=Role.values).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone holding one of these roles must read and acknowledge the published version.",
    )
    audience_people = forms.ModelMultipleChoiceField(
        label="Audience: chosen people",
        queryset=User.objects.filter(is_active=True).order_by("full_name", "email"),
        required=False,
        help_text="Besides the roles (Ctrl-click to choose several).",
    )
    controls = forms.ModelMultipleChoiceField(
        label="Controls it supports", queryset=Control.objects.order_by("ref"), required=False
    )
    requirements = RequirementChoices(
        label="Requirements it supports",
        queryset=Requirement.objects.filter(is_section=False, removed_at__isnull=True)
        .select_related("framework")
        .order_by("framework__name", "order"),
        required=False,
    )

    @classmethod
    def initial_from(cls, policy: Policy) -> dict[str, Any]:
        return {
            "title": policy.title,
            "summary": policy.summary,
            "owner": policy.owner_id,
            "review_cycle_months": policy.review_cycle_months,
            "audience_roles": list(policy.audience_roles.all()),
            "audience_people": list(policy.audience_people.all()),
            "controls": list(policy.controls.all()),
            "requirements": list(policy.requirements.all()),
        }


class NewPolicyForm(PolicyForm):
    body = forms.CharField(label="Text (Markdown)", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 16}))
    change_note = forms.CharField(label="Change note", max_length=500, required=False, initial="First version")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = BODY_HELP
        self.fields["body"].widget.attrs["aria-describedby"] = "id_body_help"


class DraftForm(StyledForm):
    body = forms.CharField(
        label="Text (Markdown)", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 20}), help_text=BODY_HELP
    )
    change_note = forms.CharField(
        label="Change note", max_length=500, required=False, help_text="What changed and why, for the reviewer."
    )


class SendBackForm(StyledForm):
    note = forms.CharField(label="Why it goes back", max_length=300, required=False)
