"""Uploads are bounded while they stream in: nothing past ``RAMPART_MAX_UPLOAD_BYTES`` is read.

``SizeLimitedUploadHandler`` is the first of ``FILE_UPLOAD_HANDLERS``: it counts the bytes of
every file of a request as Django's multipart parser reads them and stops the request the
moment the total passes the limit (a request that declares a larger size is refused before
any byte is read). Pages answer 413 through ``core.middleware.PrivateResponsesMiddleware``
when the size is declared, else 400; the API answers 413 (``core.api.exception_handler``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class UploadTooLarge(RequestDataTooBig):
    """The files of a request are larger than ``RAMPART_MAX_UPLOAD_BYTES``."""


def max_upload_bytes() -> int:
    return int(settings.RAMPART_MAX_UPLOAD_BYTES)


def too_large_message() -> str:
    limit = max_upload_bytes()
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return f"The upload is larger than {size}, the most this server accepts."


class SizeLimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of the request's files; past the limit it stops reading (``UploadTooLarge``)."""

    received = 0

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        # The whole body (files, fields, boundaries) may exceed the files' size a little; only the files count.
        self.received = 0
        if content_length > max_upload_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise UploadTooLarge(too_large_message())

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            raise UploadTooLarge(too_large_message())
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
