"""Form helpers every app's pages share."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from core.errors import DomainError


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Show a service's refusal on the form: a ValidationError on the fields it names (the rest on
    the form), a DomainError as a form error. Anything else is a bug and is raised again."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    elif isinstance(exc, DomainError):
        form.add_error(None, str(exc))
    else:
        raise exc
