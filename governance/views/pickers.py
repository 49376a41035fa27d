"""Search endpoints of the type-ahead pickers (htmx): people, assets and controls.

Who may use them and what they find is in ``governance.selectors.pickers``; a person
with no use for a picker is refused (403), so deny by default.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from governance.selectors import pickers as selectors
from workbench.pickers import picker_search


@require_GET
@login_required
def people_search(request: HttpRequest) -> HttpResponse:
    if not selectors.may_use_people_picker(request.user):
        raise PermissionDenied("You may not look people up.")
    return picker_search(request, selectors.PEOPLE, request.user)


@require_GET
@login_required
def asset_search(request: HttpRequest) -> HttpResponse:
    if not selectors.may_use_asset_picker(request.user):
        raise PermissionDenied("You may not look assets up.")
    return picker_search(request, selectors.ASSETS, request.user)


@require_GET
@login_required
def control_search(request: HttpRequest) -> HttpResponse:
    if not selectors.may_use_control_picker(request.user):
        raise PermissionDenied("You may not look controls up.")
    return picker_search(request, selectors.CONTROLS, request.user)
