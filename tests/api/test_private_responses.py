"""Issue 10, items 7 and 8: uploads are bounded and private; secrets and bulk data are never cached.

- Every API response and every CSV export says ``Cache-Control: no-store`` (the token creation
  response with the raw token, the user creation response with the initial password, lists).
- Uploads past ``RAMPART_MAX_UPLOAD_BYTES`` are refused: before reading when the request
  declares its size, and while streaming (the upload handler stops reading past the limit).
- Uploaded files are stored with mode 0600 in a folder only the application may read (0700).
- Any file download is an attachment with ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import io
import os
import stat
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse, HttpResponse
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone

from core.middleware import PrivateResponsesMiddleware
from core.uploads import SizeLimitedUploadHandler, UploadTooLarge
from governance.models import Control, ControlTest
from governance.services.controls import record_control_test
from tests.api.conftest import post_json, token_client


def _no_store(response: Any) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_the_raw_token_and_the_initial_password_are_never_cached(personas: Any) -> None:
    session = personas.client("admin_alice")
    token = post_json(session, "/api/v1/tokens/", {"name": "cache test"})
    assert token.status_code == 201 and "token" in token.json()
    assert _no_store(token)
    invited = post_json(
        session, "/api/v1/users/", {"email": "new@example.test", "full_name": "New", "roles": ["Employee"]}
    )
    assert invited.status_code == 201 and invited.json()["initial_password"]
    assert _no_store(invited)


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/users/", "/api/v1/controls/", "/api/v1/nothing-here/"])
def test_every_api_response_is_no_store(personas: Any, path: str) -> None:
    client, _ = token_client(personas["admin_alice"])
    assert _no_store(client.get(path))
    assert _no_store(Client().get(path))  # a 401 too


@pytest.mark.parametrize(
    "name",
    ["governance:control_csv", "governance:risk_export", "governance:framework_export", "governance:control_test_csv"],
)
def test_csv_exports_are_no_store_attachments(personas: Any, name: str) -> None:
    response = personas.client("officer_olga").get(reverse(name))
    assert response.status_code == 200
    assert _no_store(response)
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_and_static_files_keep_their_caching(personas: Any) -> None:
    page = personas.client("officer_olga").get(reverse("governance:control_list"))
    assert not _no_store(page)


def test_a_file_served_inline_becomes_an_attachment() -> None:
    request = RequestFactory().get("/anything/")
    inline = PrivateResponsesMiddleware(
        lambda r: FileResponse(io.BytesIO(b"<script>alert(1)</script>"), filename="x.html")
    )(request)
    assert inline["Content-Disposition"].startswith("attachment")
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert _no_store(inline)
    named = HttpResponse(b"a,b", content_type="text/html")
    named["Content-Disposition"] = 'inline; filename="x.html"'
    rewritten = PrivateResponsesMiddleware(lambda r: named)(request)
    assert rewritten["Content-Disposition"] == 'attachment; filename="x.html"'


# --- Uploads ---


def test_an_upload_declared_larger_than_the_limit_is_refused_before_reading(personas: Any, settings: Any) -> None:
    settings.RAMPART_MAX_UPLOAD_BYTES = 1000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    session = personas.client("officer_olga")
    big = SimpleUploadedFile("big.yaml", b"x" * 5000)
    page = session.post(reverse("governance:framework_import"), {"file": big})
    assert page.status_code == 413
    client, _ = token_client(personas["officer_olga"])
    big.seek(0)
    api = client.post("/api/v1/frameworks/import/", {"file": big})
    assert api.status_code == 413
    assert "larger than" in api.json()["detail"]


class _CountingStream(io.BytesIO):
    """The request body, counting what the parser reads of it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def test_the_upload_handler_stops_reading_past_the_limit(settings: Any) -> None:
    """A request whose declared size passes the check (e.g. several files) is still cut off
    while streaming, once the files' bytes pass the limit; the rest is never read."""
    settings.RAMPART_MAX_UPLOAD_BYTES = 100_000
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("f.bin", b"y" * 3_000_000)})
    stream = _CountingStream(body)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)  # the declared size alone would pass
    parser = MultiPartParser(meta, stream, [SizeLimitedUploadHandler()])
    with pytest.raises(UploadTooLarge):
        parser.parse()
    assert stream.taken < 1_000_000, f"read {stream.taken} bytes of {len(body)}"


def test_uploaded_evidence_is_private(personas: Any, tmp_path: Any, settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    olga = personas["officer_olga"]
    control = Control.objects.create(ref="CTL-UP", title="Uploads", status=Control.Status.IMPLEMENTED)
    evidence = SimpleUploadedFile("evidence.txt", b"proof")
    test = record_control_test(
        actor=olga, control=control, result="pass", performed_on=timezone.localdate(), evidence_file=evidence
    )
    stored = ControlTest.objects.get(pk=test.pk).evidence_file
    path = default_storage.path(stored.name)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700


def test_the_media_folder_is_only_for_the_application() -> None:
    from django.conf import settings

    assert stat.S_IMODE(os.stat(settings.MEDIA_ROOT_DIR).st_mode) == 0o700
