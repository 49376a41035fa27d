"""Users, roles, second factors, API tokens and sign-in events."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device, ThrottlingMixin, VerifyNotAllowed
from django_otp.oath import TOTP


class Role(models.TextChoices):
    """The roles of design.md; each is a Django group of the same name."""

    ADMINISTRATOR = "Administrator", "Administrator"
    COMPLIANCE_OFFICER = "Compliance officer", "Compliance officer"
    IT_ADMINISTRATOR = "IT administrator", "IT administrator"
    CONTROL_OWNER = "Control owner", "Control owner"
    AUDITOR = "Auditor", "Auditor"
    EMPLOYEE = "Employee", "Employee"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address. Never hard-deleted."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the break-glass admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Raised whenever what the user may do, or how they prove who they are, changes (roles,
    # password, second factor, deactivation). It is part of the session hash, so every
    # session signed in before the change ends; API tokens carry the value they were made under.
    auth_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["email"]
        permissions = [
            ("manage_users", "Can invite users, change roles and deactivate users"),
            ("view_audit_trail", "Can read the audit trail"),
            ("view_job_runs", "Can read scheduled job runs"),
            ("run_jobs", "Can queue a scheduled job to run now"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def role_names(self) -> list[str]:
        return sorted(g.name for g in self.groups.all())

    def has_role(self, *roles: str) -> bool:
        return any(name in roles for name in self.role_names)

    @property
    def mfa_required(self) -> bool:
        return self.is_superuser or self.has_role(*settings.MFA_REQUIRED_ROLES)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new password (``set_password``, not a hash upgrade at sign-in) ends the sessions
        # and API tokens made before it, by whatever path it was set (service, admin, command).
        if getattr(self, "_password", None) is not None and not self._state.adding:
            self.auth_epoch += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "auth_epoch"}
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session hash (of the password), bound to ``auth_epoch`` as well."""
        key_salt = "access.models.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.auth_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()


class AuthEvent(models.Model):
    """A sign-in, sign-in failure, lockout or MFA event, kept for the audit trail."""

    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        SIGN_OUT = "sign_out", "Signed out"
        MFA_ENROLLED = "mfa_enrolled", "MFA enrolled"
        MFA_VERIFIED = "mfa_verified", "MFA verified"
        MFA_FAILED = "mfa_failed", "MFA failed"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_CHANGE_FAILED = "password_change_failed", "Password change failed (wrong current password)"
        PASSWORD_CHANGE_LOCKED = "password_change_locked", "Password change locked out"
        SESSIONS_ENDED = "sessions_ended", "Sessions and API tokens ended"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=254, blank=True, help_text="The name that was typed.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username}"


def _fernet() -> Any:
    import base64

    from cryptography.fernet import Fernet

    material = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(("rampart-fields:" + material).encode()).digest())
    return Fernet(key)


def encrypt_secret(raw: bytes) -> str:
    return str(_fernet().encrypt(raw).decode())


def decrypt_secret(token: str) -> bytes:
    return bytes(_fernet().decrypt(token.encode()))


MFA_FREE_WRONG_CODES = 2  # wrong codes in a row that cost no wait: a typo never blocks the next honest try


class TypoTolerantThrottling(ThrottlingMixin):
    """Wrong codes are counted; after ``MFA_FREE_WRONG_CODES`` in a row, each try waits 1, 2, 4 ... seconds."""

    class Meta:
        abstract = True

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        failures = self.throttling_failure_count - MFA_FREE_WRONG_CODES
        last = self.throttling_failure_timestamp
        if failures > 0 and last is not None:
            until = last + timedelta(seconds=min(2 ** (failures - 1), 3600))
            if timezone.now() < until:
                reason = VerifyNotAllowed.N_FAILED_ATTEMPTS
                return False, {"reason": reason, "failure_count": failures, "locked_until": until}
        return Device.verify_is_allowed(self)  # type: ignore[no-any-return]


class TOTPDevice(TypoTolerantThrottling, Device):
    """A TOTP authenticator whose seed is encrypted at rest (Fernet)."""

    encrypted_key = models.TextField()
    step = models.PositiveSmallIntegerField(default=30)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(Device.Meta):
        verbose_name = "TOTP device"

    @classmethod
    def new_for(cls, user: User, name: str = "Authenticator app") -> TOTPDevice:
        return cls(user=user, name=name, confirmed=False, encrypted_key=encrypt_secret(secrets.token_bytes(20)))

    @property
    def bin_key(self) -> bytes:
        return decrypt_secret(self.encrypted_key)

    def get_throttle_factor(self) -> int:
        return 1

    def totp(self) -> TOTP:
        totp = TOTP(self.bin_key, self.step, 0, self.digits, self.drift)
        totp.time = timezone.now().timestamp()
        return totp

    def verify_token(self, token: Any) -> bool:
        """Check a code once: a code that passed can never pass again, even in a racing request.

        The time step of the code is claimed with a conditional UPDATE (``last_t`` below it),
        so of several requests carrying the same code exactly one wins on any database.
        Callers that also need the throttle read fresh hold the row lock
        (``access.services.verify_second_factor``).
        """
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            value = int(str(token).strip())
        except ValueError:
            count_failure(self)
            return False
        totp = self.totp()
        if totp.verify(value, self.tolerance, self.last_t + 1):
            step = totp.t()
            won = TOTPDevice.objects.filter(pk=self.pk, last_t__lt=step).update(
                last_t=step, drift=totp.drift, throttling_failure_count=0, throttling_failure_timestamp=None
            )
            if won:
                self.last_t, self.drift = step, totp.drift
                self.throttling_failure_count, self.throttling_failure_timestamp = 0, None
                return True
        count_failure(self)
        return False

    def config_url(self) -> str:
        from base64 import b32encode
        from urllib.parse import quote, urlencode

        label = quote(f"Rampart:{self.user.email}")
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode(),
                "issuer": "Rampart",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{label}?{params}"


def count_failure(device: Any) -> None:
    """Count one wrong code on ``device`` in the database (``+ 1`` there, never a stale copy + 1)."""
    now = timezone.now()
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_count=models.F("throttling_failure_count") + 1, throttling_failure_timestamp=now
    )
    device.throttling_failure_count = (
        type(device).objects.filter(pk=device.pk).values_list("throttling_failure_count", flat=True).first() or 0
    )
    device.throttling_failure_timestamp = now


def hash_code(code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(f"{settings.SECRET_KEY}:{normalised}".encode()).hexdigest()


class RecoveryCodeDevice(TypoTolerantThrottling, Device):
    """One-time recovery codes, stored only as salted hashes."""

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: Any) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        match = self.codes.filter(code_hash=hash_code(str(token)), used_at__isnull=True).first()
        # Conditional update: of two requests racing with the same code, only one wins.
        claimed = (
            match is not None
            and RecoveryCode.objects.filter(pk=match.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
        )
        if not claimed:
            count_failure(self)
            return False
        RecoveryCodeDevice.objects.filter(pk=self.pk).update(
            throttling_failure_count=0, throttling_failure_timestamp=None
        )
        self.throttling_failure_count, self.throttling_failure_timestamp = 0, None
        return True


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True, help_text="First characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The owner's ``auth_epoch`` when the token was made: a later change of roles, password
    # or second factor makes it stop working, even if it was not revoked explicitly.
    auth_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
