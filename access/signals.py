"""Sign-in, sign-in failure and lockout events go to the audit trail; other apps hear of people who change."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from access import services
from access.middleware import MFA_ENROLLED_SESSION_KEY
from access.models import AuthEvent, TOTPDevice, User
from core.actor import attributed_to
from core.hooks import person_changed

# Saves that may change who a person is to other apps (their email, whether they are active).
PERSON_FIELDS = frozenset({"email", "is_active"})


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with attributed_to(user):  # the request began anonymous: the person signing in is the actor
        services.record_auth_event(kind=AuthEvent.Kind.SIGN_IN, request=request, user=user)
    session = getattr(request, "session", None)
    if session is not None:
        # Anyone with an authenticator passes it after signing in (see MFARequiredMiddleware).
        session[MFA_ENROLLED_SESSION_KEY] = TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@receiver(user_logged_out)
def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        services.record_auth_event(kind=AuthEvent.Kind.SIGN_OUT, request=request, user=user)


def _account_named(username: str) -> User | None:
    """The account a typed name belongs to, so its managers see failures against it."""
    name = username.strip()[:254]
    if not name or "\x00" in name:
        return None
    return User.objects.filter(email__iexact=name).first()


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))
    with attributed_to(None, email=username.strip()):  # nobody is signed in: the trail names the email typed
        services.record_auth_event(
            kind=AuthEvent.Kind.SIGN_IN_FAILED, request=request, user=_account_named(username), username=username
        )


@receiver(user_locked_out)
def on_locked_out(
    sender: Any, request: Any, username: str | None = None, ip_address: str | None = None, **kwargs: Any
) -> None:
    name = username or ""
    with attributed_to(None, email=name.strip()):
        services.record_auth_event(
            kind=AuthEvent.Kind.LOCKED_OUT, request=request, user=_account_named(name), username=name
        )


@receiver(post_save, sender=User)
def on_person_saved(sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    """A person was created, or saved with a possibly new email or active flag (by a service, the admin,
    a command): the registered apps hear of it in the same transaction (``core.hooks.person_changed``).
    Saves of other fields only (last sign-in, password) are not announced."""
    if kwargs.get("raw"):
        return  # loading fixtures
    if created or update_fields is None or PERSON_FIELDS & set(update_fields):
        person_changed(instance, created=created)
