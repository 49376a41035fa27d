"""Who can access what: for one person, and for one object."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from access.models import User
from reviews import selectors
from reviews.access_map import OBJECT_KINDS, person_for_access
from reviews.access_map import object_access as access_to
from reviews.access_map import person_access as access_of


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
def person_access(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        person = person_for_access(pk)
    except User.DoesNotExist as exc:
        raise Http404("No such person.") from exc
    return render(request, "reviews/person_access.html", {"person": person, **access_of(person)})


@login_required
@permission_required(selectors.VIEW, raise_exception=True)
def object_access(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    label = OBJECT_KINDS.get(kind)
    if label is None:
        raise Http404("No such kind of object.")
    obj = get_object_or_404(apps.get_model(label), pk=pk)
    return render(request, "reviews/object_access.html", access_to(obj))
