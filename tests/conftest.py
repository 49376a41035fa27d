"""Shared fixtures: one persona per role, with the fixed names of conventions.md."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from access.models import Role, TOTPDevice, User

PERSONA_PASSWORD = "correct horse battery staple"
_HASHED: dict[str, str] = {}


def persona_password_hash() -> str:
    """Argon2 is slow on purpose; hash the shared persona password once per run."""
    if "h" not in _HASHED:
        _HASHED["h"] = make_password(PERSONA_PASSWORD)
    return _HASHED["h"]


PERSONA_ROLES: dict[str, str] = {
    "admin_alice": Role.ADMINISTRATOR,
    "officer_olga": Role.COMPLIANCE_OFFICER,
    "it_ivan": Role.IT_ADMINISTRATOR,
    "owner_omar": Role.CONTROL_OWNER,
    "auditor_aude": Role.AUDITOR,
    "employee_emil": Role.EMPLOYEE,
}
PERSONAS = list(PERSONA_ROLES)


def make_persona(name: str, *, mfa: bool | None = None) -> User:
    """A user for persona ``name``; MFA roles get a confirmed authenticator."""
    role = PERSONA_ROLES[name]
    first = name.split("_")[1].capitalize()
    user = User(email=f"{name}@example.test", full_name=f"{first} {name.split('_')[0].capitalize()}")
    user.password = persona_password_hash()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    if mfa if mfa is not None else user.mfa_required:
        device = TOTPDevice.new_for(user)
        device.confirmed = True
        device.save()
    return user


def login(client: Client, user: User) -> Client:
    """Sign ``user`` in, with their second factor passed when they have one."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@dataclass
class Personas:
    users: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.users[name]

    def client(self, name: str) -> Client:
        return login(Client(), self.users[name])


@pytest.fixture
def personas(db: Any) -> Personas:
    return Personas({name: make_persona(name) for name in PERSONAS})


@pytest.fixture
def admin_alice(personas: Personas) -> User:
    return personas["admin_alice"]


@pytest.fixture
def officer_olga(personas: Personas) -> User:
    return personas["officer_olga"]


@pytest.fixture
def it_ivan(personas: Personas) -> User:
    return personas["it_ivan"]


@pytest.fixture
def owner_omar(personas: Personas) -> User:
    return personas["owner_omar"]


@pytest.fixture
def auditor_aude(personas: Personas) -> User:
    return personas["auditor_aude"]


@pytest.fixture
def employee_emil(personas: Personas) -> User:
    return personas["employee_emil"]


@pytest.fixture
def back_to_latest_migrations(transactional_db: Any) -> Iterator[None]:
    """For tests that migrate the database back: afterwards every app is at its latest migration again.

    Migrating one app back also unapplies the apps that depend on it (reviews, policies, audits...);
    migrating that app forward again does not bring them back, and the next test found their tables gone.
    """
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture(autouse=True)
def _no_figures_from_another_test() -> Iterator[None]:
    """Pages keep figures in the cache until the audit trail grows (core.memo); a rolled-back test leaves
    the trail as long as it found it, so the next test could be shown the figures of this one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _task_files_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploads that tests queue (imports) are kept in a temporary folder, never under var/."""
    settings.TASK_FILES_DIR = str(tmp_path_factory.getbasetemp() / "task-files")


@pytest.fixture(autouse=True)
def _signing_keys_and_checkpoints_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test has its own signing key and audit checkpoint file, never those under var/."""
    folder = tmp_path_factory.mktemp("signing")
    settings.RAMPART_KEY_DIR = str(folder / "keys")
    settings.RAMPART_CHECKPOINT_FILE = str(folder / "audit" / "checkpoints.jsonl")


@pytest.fixture(autouse=True)
def _evidence_and_packs_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Evidence files and evidence packs that tests write go to a temporary folder, never under var/."""
    folder = tmp_path_factory.mktemp("evidence")
    evidence = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder / "files")},
    }
    settings.STORAGES = {**settings.STORAGES, "evidence": evidence}
    settings.RAMPART_PACK_DIR = str(folder / "packs")
