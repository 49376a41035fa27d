"""Input validation for the access pages. Rules live in services; forms only parse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from access.models import Role


def _text(label: str, *, max_length: int, autocomplete: str = "off", **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": autocomplete}),
        **kwargs,
    )


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username", "class": "form-control"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "form-control"}),
    )


class OTPTokenForm(forms.Form):
    """One code: six digits from the authenticator app, or a recovery code."""

    otp_token = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "autocomplete": "one-time-code",
                "autofocus": True,
                "spellcheck": "false",
                "autocapitalize": "off",
            }
        ),
    )

    def clean_otp_token(self) -> str:
        return str(self.cleaned_data["otp_token"]).replace(" ", "").strip()


class EnrolForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        help_text="After scanning the QR code, type the 6-digit code your app shows.",
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        value = str(self.cleaned_data["otp_token"]).replace(" ", "")
        if not value.isdigit():
            raise forms.ValidationError("Type the digits your authenticator app shows, for example 123456.")
        return value


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Current password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        max_length=4096,
        help_text="At least 12 characters; not a common password, not only digits, not like your name or email.",
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "The two new passwords differ. Type the same password twice.")
        return data


class ApiTokenForm(forms.Form):
    name = _text("Name", max_length=100, help_text="What will use this token, for example “nightly export”.")
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=settings.API_TOKEN_MAX_DAYS,
        initial=settings.API_TOKEN_DEFAULT_DAYS,
        help_text=f"Between 1 and {settings.API_TOKEN_MAX_DAYS} days. The token stops working after that.",
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


class RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label="Roles",
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            error_messages={"required": "Give the user at least one role."},
            **kwargs,
        )


class InviteUserForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    full_name = _text("Full name", max_length=150, autocomplete="off")
    roles = RolesField()


class UserRolesForm(forms.Form):
    roles = RolesField()
