"""Demo personas (one per role) and bulk users for benchmarks.

The personas carry the fixed names of conventions.md. Their passwords are made up
once per database, kept in ``var/demo-passwords.json`` (mode 0600) and printed on
every run, so running ``seed_demo`` again shows the same sign-ins.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from access.models import Role, TOTPDevice, User
from core.seeding import SeedContext, SignIn, register_demo_seeder, register_scale_seeder

DEMO_DOMAIN = "demo.rampart.test"
SCALE_DOMAIN = "scale.rampart.test"

# (name, role, full name): the personas of conventions.md.
DEMO_PERSONAS: list[tuple[str, str, str]] = [
    ("admin_alice", Role.ADMINISTRATOR, "Alice Admin"),
    ("officer_olga", Role.COMPLIANCE_OFFICER, "Olga Officer"),
    ("it_ivan", Role.IT_ADMINISTRATOR, "Ivan IT"),
    ("owner_omar", Role.CONTROL_OWNER, "Omar Owner"),
    ("auditor_aude", Role.AUDITOR, "Aude Auditor"),
    ("employee_emil", Role.EMPLOYEE, "Emil Employee"),
]

# How bulk users spread over the roles, per hundred users.
SCALE_ROLE_SHARES: list[tuple[str, int]] = [
    (Role.ADMINISTRATOR, 2),
    (Role.COMPLIANCE_OFFICER, 5),
    (Role.IT_ADMINISTRATOR, 5),
    (Role.CONTROL_OWNER, 20),
    (Role.AUDITOR, 3),
    (Role.EMPLOYEE, 65),
]

_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 - an alphabet


def persona_email(name: str) -> str:
    return f"{name}@{DEMO_DOMAIN}"


def passwords_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-passwords.json"


def load_demo_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"{path} should hold a JSON object of email to password.")
    return {str(k): str(v) for k, v in data.items()}


def save_demo_passwords(path: Path, passwords: dict[str, str]) -> None:
    """Write atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(passwords, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def new_demo_password(user: User) -> str:
    """Four groups of four unambiguous characters, checked by the password validators."""
    while True:
        raw = "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        try:
            validate_password(raw, user)
        except ValidationError:
            continue
        return raw


def _ensure_role(ctx: SeedContext, user: User, role: str) -> None:
    if not user.groups.filter(name=role).exists():
        user.groups.add(Group.objects.get(name=role))
        ctx.record("role assignments")


@register_demo_seeder(order=10)
def seed_personas(ctx: SeedContext) -> None:
    """One user per role. Existing users are kept as they are."""
    path = passwords_path()
    passwords = load_demo_passwords(path)
    changed = False
    personas: dict[str, User] = {}
    for name, role, full_name in DEMO_PERSONAS:
        email = persona_email(name)
        user = User.objects.filter(email=email).first()
        password = passwords.get(email)
        if user is None:
            user = User(email=email, full_name=full_name)
            password = password or new_demo_password(user)
            user.set_password(password)
            user.full_clean()
            user.save()
            ctx.record("users")
        elif password is None:
            # The user exists but its password was lost with the file: make a new one.
            password = new_demo_password(user)
            user.set_password(password)
            user.save(update_fields=["password"])
            ctx.record("passwords reset")
        if passwords.get(email) != password:
            passwords[email] = password
            changed = True
        _ensure_role(ctx, user, role)
        personas[name] = user
        note = ""
        if role in settings.MFA_REQUIRED_ROLES and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            note = "enrols an authenticator app (TOTP) at first sign-in"
        ctx.sign_ins.append(SignIn(email=email, password=password, role=role, note=note))
    if changed:
        save_demo_passwords(path, passwords)
    ctx.shared["personas"] = personas
    ctx.notes.append(f"Demo passwords are kept in {path} (readable by you only).")


def scale_role(index: int) -> str:
    """The role of the ``index``-th bulk user, following SCALE_ROLE_SHARES per hundred."""
    slot = index % 100
    for role, share in SCALE_ROLE_SHARES:
        if slot < share:
            return role
        slot -= share
    return Role.EMPLOYEE


@register_scale_seeder(order=10)
def seed_scale_users(ctx: SeedContext) -> None:
    """``factor * 100`` users over all roles; one password hash shared by all of them."""
    target = ctx.factor * 100
    wanted = {f"user{i:06d}@{SCALE_DOMAIN}": i for i in range(target)}
    scale_users = User.objects.filter(email__endswith=f"@{SCALE_DOMAIN}")
    existing = set(scale_users.values_list("email", flat=True))
    missing = [(email, i) for email, i in wanted.items() if email not in existing]
    if missing:
        # Nobody signs in with these; the hash is computed once because Argon2 is slow.
        password_hash = make_password(secrets.token_urlsafe(24))
        User.objects.bulk_create(
            [User(email=email, full_name=f"Scale User {i:06d}", password=password_hash) for email, i in missing],
            batch_size=1000,
        )
        ids = dict(scale_users.values_list("email", "pk"))
        groups = dict(Group.objects.values_list("name", "pk"))
        through = User.groups.through
        through.objects.bulk_create(
            [through(user_id=ids[email], group_id=groups[scale_role(i)]) for email, i in missing],
            batch_size=1000,
        )
    ctx.record("users", len(missing))
