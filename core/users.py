"""The user as the shared plumbing sees it: what ``core`` and ``jobs`` may ask of a person.

``core`` and ``jobs`` sit below ``access`` (which owns the ``User`` model) and never import it.
They type the person they are given as :class:`UserLike`, the part of Django's user that they
use: identity, whether they are signed in and active, and their permissions. ``access.User``
and Django's ``AnonymousUser`` both satisfy it, so mypy checks every call from the apps above.
"""

from __future__ import annotations

from typing import Any, Protocol


class UserLike(Protocol):
    """A signed-in user or an anonymous visitor."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...
