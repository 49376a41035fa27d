"""Small registries through which an upper app lends a lower one what it cannot import.

``backups`` may not import ``audits``, yet a backup manifest carries a signed audit-trail
checkpoint; and ``governance`` may not import ``backups``, yet its dashboard shows the last
restore drill. The app that has the thing registers it here, in its ``AppConfig.ready()``;
the app that needs it reads the registry:

- ``register_manifest_extra(name, func)``: ``func()`` returns a JSON value that every backup
  manifest carries under ``name`` (``audits`` registers ``"audit_checkpoint"``);
- ``register_dashboard_panel(name, template, func)``: ``func(user)`` returns the context of a
  panel of the compliance dashboard (``None`` when that user sees none), rendered with
  ``template`` (``backups`` registers its last drill and failed or missed backups).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.users import UserLike

log = logging.getLogger(__name__)

ManifestExtra = Callable[[], Any]
PanelContext = Callable[[Any], dict[str, Any] | None]

_MANIFEST_EXTRAS: dict[str, ManifestExtra] = {}
_PANELS: dict[str, tuple[str, PanelContext]] = {}


def register_manifest_extra(name: str, func: ManifestExtra) -> None:
    """Every backup manifest will carry ``func()`` under the key ``name``."""
    _MANIFEST_EXTRAS[name] = func


def manifest_extras() -> dict[str, Any]:
    """The registered extras, each computed now. A failing provider fails the backup (raises)."""
    return {name: func() for name, func in sorted(_MANIFEST_EXTRAS.items())}


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    context: dict[str, Any]


def register_dashboard_panel(name: str, template: str, func: PanelContext) -> None:
    """Show ``template`` with ``func(user)`` on the compliance dashboard (when not ``None``)."""
    _PANELS[name] = (template, func)


def dashboard_panels(user: UserLike) -> list[Panel]:
    """The panels ``user`` sees, in the order of their names."""
    panels = []
    for name, (template, func) in sorted(_PANELS.items()):
        context = func(user)
        if context is not None:
            panels.append(Panel(name, template, context))
    return panels


# --- Access that ends by itself, and people who change ---
#
# ``access`` checks who a request's user is; ``reviews`` grants access for a while. access may
# not import reviews, so reviews lends it two things here:
# - ``register_lapsing_access(name, next_lapse, take_away)``: ``next_lapse(user_ref)`` is an
#   expression (e.g. a ``Subquery``) giving the earliest moment at which access granted to the user
#   whose pk is ``user_ref`` (an ``OuterRef``) ends, or NULL; it is read in the same query that
#   loads the user and compared with the clock here, so the query holds no time and can be built
#   once per process. ``take_away(user)`` removes the access whose time is up at once and returns
#   how many grants it removed.
# - ``register_person_changed(name, func)``: ``func(user, created)`` runs after a person is
#   created, changes email, or is (de/re)activated (e.g. re-matching imported accounts).

NextLapse = Callable[[Any], Any]
LapseTakeAway = Callable[[Any], int]
PersonChanged = Callable[[Any, bool], object]

_LAPSING: dict[str, tuple[NextLapse, LapseTakeAway]] = {}
_PERSON_CHANGED: dict[str, PersonChanged] = {}


def register_lapsing_access(name: str, next_lapse: NextLapse, take_away: LapseTakeAway) -> None:
    """Access granted for a while by ``name``: when it next ends, and how to take it away."""
    _LAPSING[name] = (next_lapse, take_away)


def access_lapse_annotations(user_ref: Any) -> dict[str, Any]:
    """Annotations (``lapses_<name>``) to load with a user: when their granted access next ends (or None)."""
    return {f"lapses_{name}": next_lapse(user_ref) for name, (next_lapse, _) in sorted(_LAPSING.items())}


def take_away_lapsed_access(user: Any, *, loaded_with: Any = None) -> int:
    """Remove ``user``'s access whose time is up, as the annotations show (on ``loaded_with``, else on ``user``)."""
    source = user if loaded_with is None else loaded_with
    now = timezone.now()
    removed = 0
    for name, (_, take_away) in sorted(_LAPSING.items()):
        when = getattr(source, f"lapses_{name}", None)
        if when is not None and when <= now:
            removed += take_away(user)
    return removed


def register_person_changed(name: str, func: PersonChanged) -> None:
    """Call ``func(user, created)`` after a person is created, changes email or is (de)activated."""
    _PERSON_CHANGED[name] = func


def person_changed(user: Any, *, created: bool = False) -> None:
    """Tell the registered apps that ``user`` was created or changed (email, active)."""
    for _, func in sorted(_PERSON_CHANGED.items()):
        func(user, created)


# --- Home page panels ---
#
# ``register_home_panel(name, template, func)``: ``func(user)`` returns the context of a panel of
# the signed-in user's home page (``None`` when that user has none), rendered with ``template``
# (``reviews`` registers the review lines waiting for the user as a campaign's reviewer).

_HOME_PANELS: dict[str, tuple[str, PanelContext]] = {}


def register_home_panel(name: str, template: str, func: PanelContext) -> None:
    """Show ``template`` with ``func(user)`` on the home page (when not ``None``)."""
    _HOME_PANELS[name] = (template, func)


def home_panels(user: Any) -> list[Panel]:
    """The home-page panels ``user`` sees, in the order of their names."""
    panels = []
    for name, (template, func) in sorted(_HOME_PANELS.items()):
        context = func(user)
        if context is not None:
            panels.append(Panel(name, template, context))
    return panels
