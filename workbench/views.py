"""Home page: the signed-in user's own items."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from governance.selectors.controls import owner_home
from governance.selectors.risks import risk_home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "controls_home": owner_home(request.user),
        "risks_home": risk_home(request.user),
    }
    return render(request, "workbench/home.html", context)
