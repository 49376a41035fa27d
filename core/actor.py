"""Who the audit trail names as the actor, outside an HTTP request too.

The audit trail (django-auditlog) reads its actor from a context variable. Requests
set it in middleware; token-authenticated API calls bind it once the token is
checked; management commands and scheduled jobs wrap their work in ``acting``.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Iterator
from typing import Any

from auditlog.context import auditlog_value, set_extra_data
from django.db.models.signals import pre_save

from core.users import UserLike

_ACTOR_KEYS = ("actor", "actor_email")


@contextlib.contextmanager
def acting(actor: UserLike | None = None, *, via: str, **details: Any) -> Iterator[None]:
    """Record every change made inside as done by ``actor`` through ``via``."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"
    extra = {"via": via, "os_user": os_user, **details}
    with set_extra_data(context_data={"actor": actor, "additional_data": extra}):
        yield


def bind_actor(user: UserLike) -> None:
    """Name ``user`` as the actor for the rest of the current request."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    context["actor"] = user


def _live(context: dict[str, Any]) -> bool:
    """Whether ``context`` still has its receiver: auditlog leaves the last one set after it ends."""
    duid = context.get("signal_duid")
    return any(receiver[0][0] == duid for receiver in pre_save.receivers)


@contextlib.contextmanager
def attributed_to(actor: UserLike | None = None, *, email: str = "") -> Iterator[None]:
    """Name ``actor`` as the actor of the entries written inside, then give the request its actor back.

    For an attempt by someone not (yet) signed in, such as a failed sign-in, ``email`` is the
    address that was typed: entries carry it as the actor's email, with no actor. The rest
    of the request's context (address, correlation id) is kept.
    """
    try:
        outer: dict[str, Any] | None = auditlog_value.get()
    except LookupError:
        outer = None
    live = outer is not None and _live(outer)
    data = {k: v for k, v in outer.items() if k not in {"signal_duid", *_ACTOR_KEYS}} if outer and live else {}
    data["actor"] = actor
    if actor is None and email:
        data["actor_email"] = email[:254]
    try:
        with set_extra_data(context_data=data):
            yield
    finally:
        if outer is not None and live:
            auditlog_value.set(outer)
