"""Home page: the signed-in user's own items and what their role has to look at."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.models import User
from audits.engagements.selectors import audit_home
from config.home import role_panels
from core.hooks import home_panels
from core.memo import counted_for
from governance.selectors.controls import owner_home
from governance.selectors.risks import risk_home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required lets only signed-in users through
    # Counted again once anything changed (core.memo); the page says when they were counted.
    counted = counted_for(user, "home", lambda: _home_figures(user))
    return render(request, "home.html", {**counted.value, "counted_at": counted.counted_at})


def _home_figures(user: User) -> dict[str, Any]:
    return {
        "controls_home": owner_home(user),
        "risks_home": risk_home(user),
        **role_panels(user),
        **audit_home(user),
        "home_panels": home_panels(user),  # other apps' panels (core.hooks): reviews
    }
