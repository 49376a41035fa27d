"""The type-ahead picker of the segregation-of-duties page: exceptions that may cover a violation.

Only approved exceptions that have not expired can cover a violation, so only they are offered,
to whoever may link one (``reviews.add_sodexemption`` and reading exceptions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import formats

from core.pickers import PickerSource
from governance.models import ComplianceException

COVER = "reviews.add_sodexemption"


def may_cover(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm(COVER)
        and user.has_perm("governance.view_complianceexception")
    )


def covering_exceptions(user: Any, params: Mapping[str, str] | None = None) -> QuerySet[ComplianceException]:
    """Exceptions in force (approved, not expired) that ``user`` may link to a violation."""
    if not may_cover(user):
        return ComplianceException.objects.none()
    return ComplianceException.objects.filter(ComplianceException.in_force())


def exception_label(exception: ComplianceException) -> str:
    return f"{exception.title} (until {formats.date_format(exception.expires_on)})"


EXCEPTIONS = PickerSource(
    url_name="reviews:exception_search",
    rows=covering_exceptions,
    search=lambda query: Q(title__icontains=query) | Q(reason__icontains=query),
    order=("expires_on", "title", "pk"),
    label=exception_label,
    placeholder="Type part of the exception's title",
)
