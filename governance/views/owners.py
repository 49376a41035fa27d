"""Bulk owner pages of every governance list (see ``governance.services.owners``): frameworks,
requirements, controls, the assignee of planned control tests, risks, assets, exceptions and
findings. Each list ticks rows (``ids``) and posts here; one view factory serves them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.models import User
from core.errors import DomainError
from governance.forms.controls import ControlBulkOwnerForm
from governance.forms.risks import BulkOwnerForm
from governance.selectors import assets as asset_selectors
from governance.selectors import controls as control_selectors
from governance.selectors import exceptions as exception_selectors
from governance.selectors import findings as finding_selectors
from governance.selectors import frameworks as framework_selectors
from governance.selectors import risks as risk_selectors
from governance.selectors.pickers import person_label
from governance.services import owners

MAX_QUERY_KEPT = 2000  # characters of the list's query string carried back after the change


def back_to(list_url_name: str, posted: QueryDict) -> str:
    """The list page again, with the filters, sort and page it was showing."""
    kept = QueryDict(str(posted.get("return_query", ""))[:MAX_QUERY_KEPT])
    query = kept.urlencode()
    return reverse(list_url_name) + (f"?{query}" if query else "")


def bulk_owner_view(
    kind: owners.OwnedKind,
    *,
    rows: Callable[[User], QuerySet[Any]],
    list_url_name: str,
    form_class: type[BulkOwnerForm] = BulkOwnerForm,
) -> Callable[[HttpRequest], HttpResponse]:
    """A POST-only view giving the ticked rows (``ids``) of ``rows(user)`` the chosen ``owner``."""

    @require_POST
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        user = cast(User, request.user)
        if not user.has_perm(kind.perm):
            raise PermissionDenied
        form = form_class(request.POST)
        back = back_to(list_url_name, request.POST)
        ids = form.selected_ids()
        if not ids:
            messages.error(request, f"Tick at least one of the {kind.noun}.")
            return redirect(back)
        if not form.is_valid():
            for error in form.errors.get("owner", []) or ["Choose a valid person."]:
                messages.error(request, str(error))
            return redirect(back)
        chosen = list(rows(user).filter(pk__in=ids).select_related())
        person = form.cleaned_data["owner"]
        try:
            changed = owners.bulk_assign(actor=user, kind=kind, objects=chosen, person=person)
        except (DomainError, ValidationError) as exc:
            messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            who = person_label(person) if person else "nobody"
            messages.success(
                request, f"{kind.field.capitalize()} set to {who} on {changed} of the {len(chosen)} ticked {kind.noun}."
            )
        return redirect(back)

    return view


def _frameworks(user: User) -> QuerySet[Any]:
    return framework_selectors.frameworks_visible_to(user=user)


def _requirements(user: User) -> QuerySet[Any]:
    return framework_selectors.requirements_visible_to(user=user)


framework_bulk_owner = bulk_owner_view(owners.FRAMEWORKS, rows=_frameworks, list_url_name="governance:framework_list")
requirement_bulk_owner = bulk_owner_view(
    owners.REQUIREMENTS, rows=_requirements, list_url_name="governance:requirement_list"
)
control_test_bulk_assign = bulk_owner_view(
    owners.CONTROL_TESTS, rows=control_selectors.control_tests_visible_to, list_url_name="governance:control_test_list"
)
finding_bulk_owner = bulk_owner_view(
    owners.FINDINGS, rows=finding_selectors.findings_visible_to, list_url_name="governance:finding_list"
)
control_bulk_owner = bulk_owner_view(
    owners.CONTROLS,
    rows=control_selectors.controls_visible_to,
    list_url_name="governance:control_list",
    form_class=ControlBulkOwnerForm,
)
risk_bulk_owner = bulk_owner_view(
    owners.RISKS, rows=risk_selectors.risks_visible_to, list_url_name="governance:risk_list"
)
asset_bulk_owner = bulk_owner_view(
    owners.ASSETS, rows=asset_selectors.assets_visible_to, list_url_name="governance:asset_list"
)
exception_bulk_owner = bulk_owner_view(
    owners.EXCEPTIONS, rows=exception_selectors.exceptions_visible_to, list_url_name="governance:exception_list"
)
