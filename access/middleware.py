"""Client IP from a trusted proxy only, and the second-factor gate."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def _is_trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    for entry in settings.TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str | None:
    """The client's address. ``X-Forwarded-For`` counts only when the peer is a trusted proxy.

    Walks the forwarded chain from the right and returns the first address that is
    not itself a trusted proxy, so a client cannot forge its address by sending
    the header.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return remote
        if not _is_trusted(hop):
            return hop
    return remote


def client_ip_for_axes(request: HttpRequest) -> str | None:
    return client_ip(request)


class ClientIPMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.client_ip = client_ip(request)  # type: ignore[attr-defined]
        return self.get_response(request)


MFA_EXEMPT_PREFIXES = ("/static/", "/api/", "/accounts/mfa/", "/accounts/logout/")
# Set at sign-in for users who enrolled an authenticator of their own accord:
# once enrolled, they pass it on every sign-in too.
MFA_ENROLLED_SESSION_KEY = "access_mfa_enrolled"


class MFARequiredMiddleware:
    """Administrators and IT administrators reach nothing until they pass MFA.

    A user without a confirmed authenticator is sent to enrolment; one with an
    authenticator is sent to verification. Users of other roles who enrolled
    voluntarily are sent to verification as well. The API refuses such sessions itself.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and (user.mfa_required or request.session.get(MFA_ENROLLED_SESSION_KEY))  # type: ignore[union-attr]
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
        ):
            from access.models import TOTPDevice

            if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{settings.MFA_VERIFY_URL}?{query}")
            return redirect(settings.MFA_ENROL_URL)
        return self.get_response(request)
