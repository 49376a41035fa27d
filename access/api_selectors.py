"""Read side of the access API, built on the selectors the pages use (``access.selectors``).

Only what the API adds lives here: search and filters on the user list, and whether
each account has a confirmed authenticator (one subquery, not one query per row).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from access.models import ApiToken, TOTPDevice, User
from access.selectors import api_tokens_of, users_visible_to


def users_for_api(*, actor: User) -> QuerySet[User]:
    """Accounts the actor may manage (none unless they hold ``access.manage_users``).

    Every row carries ``mfa_enrolled`` and its roles prefetched: a page costs the same
    number of queries with 1 row or 50.
    """
    users = users_visible_to(actor=actor).annotate(
        mfa_enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    return users


def own_api_tokens(*, user: User) -> QuerySet[ApiToken]:
    """The caller's own tokens, newest first. Nobody lists another person's tokens via the API."""
    if not user.is_authenticated or not user.is_active:
        return ApiToken.objects.none()
    return api_tokens_of(user=user)
