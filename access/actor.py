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


@contextlib.contextmanager
def acting(actor: Any = None, *, via: str, **details: Any) -> Iterator[None]:
    """Record every change made inside as done by ``actor`` through ``via``."""
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):
        os_user = "unknown"
    extra = {"via": via, "os_user": os_user, **details}
    with set_extra_data(context_data={"actor": actor, "additional_data": extra}):
        yield


def bind_actor(user: Any) -> None:
    """Name ``user`` as the actor for the rest of the current request."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    context["actor"] = user
