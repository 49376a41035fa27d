"""Second-factor secrets are never stored in clear."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.db import connection

from access import services
from access.models import RecoveryCode, TOTPDevice, hash_code
from tests.conftest import make_persona


def _row(table: str, pk: int) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])  # noqa: S608 - table names are ours
        return list(cursor.fetchone())


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, memoryview | bytes):
        return bytes(value)
    return str(value).encode()


def test_totp_seed_is_encrypted_in_the_database(db: Any) -> None:
    user = make_persona("employee_emil")
    device = services.start_totp_enrolment(user=user)
    key = device.bin_key
    assert len(key) == 20
    forms = [key, key.hex().encode(), b32encode(key), b32encode(key).rstrip(b"=")]
    row = _row(TOTPDevice._meta.db_table, device.pk)
    for value in row:
        stored = _as_bytes(value)
        for form in forms:
            assert form not in stored, "the TOTP seed is stored in clear"
    # ...and it can still be read back by the application.
    assert TOTPDevice.objects.get(pk=device.pk).bin_key == key


def test_recovery_codes_are_stored_hashed(db: Any) -> None:
    user = make_persona("employee_emil")
    codes = services.regenerate_recovery_codes(user=user)
    rows = [_row(RecoveryCode._meta.db_table, rc.pk) for rc in RecoveryCode.objects.filter(device__user=user)]
    assert len(rows) == len(codes)
    dump = b" ".join(_as_bytes(v) for row in rows for v in row)
    for code in codes:
        assert code.encode() not in dump
        assert code.replace("-", "").encode() not in dump
    assert {rc.code_hash for rc in RecoveryCode.objects.filter(device__user=user)} == {hash_code(c) for c in codes}
