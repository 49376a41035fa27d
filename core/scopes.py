"""Extra rows a user may *view*, granted by something other than roles and object permissions.

An app that grants temporary read access (an audit engagement gives its auditors the
requirements, controls, tests ... in its scope) registers a provider here; the read side
of the owning app (``governance.scoping.scoped``) consults every provider. The owning app
never imports the granting one.

A provider is ``func(user, model) -> Q | None``: a filter on ``model`` selecting the extra
rows ``user`` may view now, or ``None`` when it grants nothing. It runs on every query, so
access that ends (an engagement's last day) ends by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, Q

from core.users import UserLike

ScopeProvider = Callable[[UserLike, type[Model]], Q | None]

_PROVIDERS: dict[str, ScopeProvider] = {}


def register_scope_provider(name: str, func: ScopeProvider) -> None:
    """Register (or replace) the provider called ``name``."""
    _PROVIDERS[name] = func


def granted_rows(user: UserLike | None, model: type[Model]) -> Q | None:
    """The rows of ``model`` that providers let ``user`` view, as one filter; ``None`` if none grants any."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    combined: Q | None = None
    for func in _PROVIDERS.values():
        extra = func(user, model)
        if extra is not None:
            combined = extra if combined is None else combined | extra
    return combined
