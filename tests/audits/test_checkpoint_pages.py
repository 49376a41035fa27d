"""The audit-trail page shows the public key and the latest checkpoint; both can be downloaded."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from audits.checkpoints import Checkpoint, make_checkpoint, verify_trail
from core import signing
from tests.audits.conftest import write_entries

pytestmark = pytest.mark.django_db

TRAIL = reverse("audits:trail")
DOWNLOAD = reverse("audits:checkpoints_download")
PUBLIC_KEY = reverse("audits:public_key")


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_trail_page_shows_the_key_and_the_latest_checkpoint(personas: Any) -> None:
    client = personas.client("officer_olga")
    response = client.get(TRAIL)
    assert b"No checkpoint yet" in response.content
    key_id = signing.current_key_id()
    assert f'data-testid="key-id">{key_id}<'.encode() in response.content
    assert signing.public_key_pem().strip().encode() in response.content
    write_entries(1)
    checkpoint = make_checkpoint(reason="test")
    response = client.get(TRAIL)
    assert f"Latest: entry #{checkpoint.sequence}, SHA-256 <code>{checkpoint.entry_hash}</code>".encode() in (
        response.content
    )
    assert DOWNLOAD.encode() in response.content and PUBLIC_KEY.encode() in response.content


def test_the_download_is_the_checkpoint_file_and_verifies(personas: Any, tmp_path: Any) -> None:
    client = personas.client("admin_alice")
    empty = client.get(DOWNLOAD)
    assert empty.status_code == 200 and body(empty) == b""
    first = make_checkpoint(reason="test")
    write_entries(2)
    second = make_checkpoint(reason="test")
    response = client.get(DOWNLOAD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-checkpoints-')
    lines = body(response).decode().splitlines()
    assert [Checkpoint.from_line(line) for line in lines] == [first, second]
    (tmp_path / "downloaded.jsonl").write_bytes(body(response))
    out = StringIO()
    call_command("verify_audit_trail", "--checkpoints", str(tmp_path / "downloaded.jsonl"), stdout=out)
    assert "2 match" in out.getvalue()


def test_the_public_key_download_is_the_exported_key(personas: Any) -> None:
    response = personas.client("officer_olga").get(PUBLIC_KEY)
    assert response.status_code == 200
    out = StringIO()
    call_command("export_public_key", stdout=out)
    assert response.content.decode() == out.getvalue() == signing.public_key_pem()
    assert response["Content-Disposition"] == f'attachment; filename="rampart-{signing.current_key_id()}.pem"'


def test_export_public_key_prints_an_older_key_by_id() -> None:
    old_id = signing.current_key_id()
    old_pem = signing.public_key_pem()
    signing.rotate_signing_key()
    out = StringIO()
    call_command("export_public_key", "--key-id", old_id, stdout=out)
    assert out.getvalue() == old_pem
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("export_public_key", "--key-id", "0" * 16, stdout=out, stderr=out)
    assert exit_info.value.code == 1 and "No public key" in out.getvalue()


@pytest.mark.parametrize("persona", ["auditor_aude", "employee_emil", "it_ivan", "owner_omar"])
def test_only_trail_readers_download_checkpoints(personas: Any, persona: str) -> None:
    client = personas.client(persona)
    assert client.get(DOWNLOAD).status_code == 403
    assert client.get(PUBLIC_KEY).status_code == 403
    assert verify_trail().ok


def test_a_key_that_cannot_be_read_is_said_without_hiding_the_trail(personas: Any, settings: Any) -> None:
    signing.current_key_id()
    settings.RAMPART_SIGNING_KEY_PASSPHRASE = "not the one it was written with"
    client = personas.client("admin_alice")
    response = client.get(TRAIL)
    assert response.status_code == 200
    assert b"The signing key is not available" in response.content
    assert b'data-testid="trail-table"' in response.content
    assert client.get(PUBLIC_KEY).status_code == 503
