"""Who may open a governance page at all: a role's permission, or a scope that grants rows.

An auditor holds no governance permission; an engagement in progress grants them read access
to the rows in its scope (``core.scopes``, read by ``governance.scoping``). Read-only pages of
a model let them in with ``require_view``; the selectors then show only what is in scope, and
one row outside it is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

from access.models import User
from governance.scoping import may_view

View = TypeVar("View", bound=Callable[..., HttpResponse])


def require_view(model: type[Model], perm: str | None = None) -> Callable[[View], View]:
    """Let in holders of ``perm`` (default ``view_<model>``) and users granted rows of ``model``; 403 others."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may_view(cast(User, request.user), model, perm):
                raise PermissionDenied(f"You may not see {model._meta.verbose_name_plural}.")
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
