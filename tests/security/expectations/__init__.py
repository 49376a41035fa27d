"""Expected outcome of every route for every persona and for anonymous users.

Each area keeps its own module (``access.py``, ``workbench.py`` ...) with a list
``ROUTES``. The matrix test walks every URL pattern of the project and fails when
one has no entry here, so no page or endpoint can ship unprotected.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALL = "all"  # every signed-in persona
NOBODY = "nobody"

PAGE_ANON = "login"  # anonymous users are sent to sign in
API_ANON = 401  # anonymous API calls are refused


@dataclass(frozen=True)
class Route:
    """One route. ``allowed`` personas get ``ok``; other personas get ``denied``."""

    name: str
    allowed: frozenset[str] | str
    kwargs: Callable[[Any], dict[str, Any]] | None = None
    ok: int = 200
    denied: tuple[int, ...] = (403,)
    anonymous: int | str = PAGE_ANON
    method: str = "get"
    # The body of a write; a callable receives the personas (after ``kwargs`` ran) and returns it,
    # for bodies that name rows or people by id.
    data: dict[str, Any] | Callable[[Any], dict[str, Any]] = field(default_factory=dict)
    # For a write: whether it took effect. Checked both ways: done for ``allowed``, not done for the others.
    wrote: Callable[[Any], bool] | None = None
    note: str = ""

    def body(self, personas: Any) -> dict[str, Any]:
        return self.data(personas) if callable(self.data) else self.data

    def allows(self, persona: str) -> bool:
        if self.allowed == ALL:
            return True
        if self.allowed == NOBODY:
            return False
        return persona in self.allowed


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


def bulk_owner_api(name: str, allowed: frozenset[str], field: str = "owner") -> Route:
    """A bulk owner endpoint, called with an id nobody can see: who may gets the 400 naming it."""
    return Route(
        name,
        allowed,
        method="post",
        ok=400,
        data={"ids": [2**62], field: None},
        note="an id nobody can see: 400 naming it, once the permission is checked",
        anonymous=API_ANON,
    )


def all_routes() -> list[Route]:
    routes: list[Route] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(module.ROUTES)
    return routes
