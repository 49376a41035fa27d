"""Figures that are costly to count, counted again only once something changed.

The compliance dashboard and the home page count across the whole organisation (coverage,
overdue tests, expired evidence, policies, backups, patches): tens of queries, 30 to 70 ms,
on every visit, although between two visits nothing has usually changed. Here such a
page's figures are kept for a person and reused while:

- nothing changed: every change to our data leaves an audit-trail entry (every model of ours
  is recorded), so the trail's length (its chain head's sequence) tells whether anything
  changed since the figures were counted. ``audits`` lends that number
  (``register_change_marker``), as core may not import it;
- it is the same day (what is overdue or expired depends on the date);
- the person's account is as it was (``auth_epoch``: roles, password, second factor);
- and for at most ``KEPT_SECONDS``, for what changes without an entry of its own (a bulk
  update, the clock within a day, a job run's progress).

The page shows when its figures were counted. Values go through Django's cache (``CACHES``;
the local-memory cache of each server process by default), so they must pickle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.utils import timezone

KEPT_SECONDS = 60

T = TypeVar("T")
ChangeMarker = Callable[[], Any]

_MARKERS: dict[str, ChangeMarker] = {}


def register_change_marker(name: str, func: ChangeMarker) -> None:
    """``func()`` returns a value that differs after any change to the data (e.g. the audit trail's length)."""
    _MARKERS[name] = func


def change_marker() -> str:
    """What the registered markers say now, as one string (empty when none is registered)."""
    return ",".join(f"{name}={func()}" for name, func in sorted(_MARKERS.items()))


@dataclass(frozen=True)
class Counted(Generic[T]):
    """Figures, and when they were counted."""

    value: T
    counted_at: datetime


def counted_for(user: Any, name: str, count: Callable[[], T]) -> Counted[T]:
    """``count()``'s result for ``user``, reused while nothing changed (see the module's text).

    Without registered markers nothing tells a change, so nothing is reused.
    """
    marker = change_marker()
    if not marker:
        return Counted(count(), timezone.now())
    account = f"{user.pk}.{getattr(user, 'auth_epoch', '')}"
    key = ":".join(["rampart", "counted", name, account, str(timezone.localdate()), marker])
    kept = cache.get(key)
    if isinstance(kept, Counted):
        return kept
    counted = Counted(count(), timezone.now())
    cache.set(key, counted, KEPT_SECONDS)
    return counted
