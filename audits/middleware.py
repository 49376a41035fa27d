"""Binds the signed-in user and the trusted client IP to audit-trail entries."""

from __future__ import annotations

from collections.abc import Callable

from auditlog.cid import set_cid
from auditlog.context import set_extra_data
from django.http import HttpRequest, HttpResponse

from access.middleware import client_ip


class AuditActorMiddleware:
    """Like auditlog's middleware, but never trusts ``X-Forwarded-For`` blindly."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        set_cid(request)
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
        context = {"actor": actor, "remote_addr": client_ip(request), "remote_port": None}
        with set_extra_data(context_data=context):
            return self.get_response(request)
