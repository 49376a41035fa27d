"""Search endpoints of the type-ahead pickers (htmx): people, assets, controls and requirements.

Who may use them and what they find is in ``governance.selectors.pickers``; a person
with no use for a picker is refused (403), so deny by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from access.models import User
from core.pickers import PickerSource, picker_search
from governance.selectors import pickers as selectors


def _search_view(source: PickerSource, may_use: Callable[[User], bool], what: str) -> Callable[..., HttpResponse]:
    """The search endpoint of one picker: refused (403) to whoever has no use for it."""

    @require_GET
    @login_required
    def view(request: HttpRequest) -> HttpResponse:
        if not may_use(cast(User, request.user)):
            raise PermissionDenied(f"You may not look {what} up.")
        return picker_search(request, source, request.user)

    return view


people_search = _search_view(selectors.PEOPLE, selectors.may_use_people_picker, "people")
asset_search = _search_view(selectors.ASSETS, selectors.may_use_asset_picker, "assets")
control_search = _search_view(selectors.CONTROLS, selectors.may_use_control_picker, "controls")
requirement_search = _search_view(selectors.REQUIREMENTS, selectors.may_use_requirement_picker, "requirements")
control_test_search = _search_view(selectors.CONTROL_TESTS, selectors.may_use_control_test_picker, "control tests")
