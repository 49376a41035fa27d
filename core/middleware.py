"""Responses that must never be cached or shown inline, and uploads refused by their declared size.

- Every API response and every download or export (CSV, files) is ``Cache-Control: no-store``:
  they carry secrets (a new token, an initial password) or bulk data that no browser or
  proxy cache should keep.
- Every file download is an attachment with ``X-Content-Type-Options: nosniff``: an uploaded
  file is never rendered by the browser as a page of this site.
- A multipart request that declares more than ``RAMPART_MAX_UPLOAD_BYTES`` is refused with 413
  before anything is read (``core.uploads`` stops the ones that do not say their size).

It sits after WhiteNoise, so static files keep their long cache lifetime.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from core.uploads import max_upload_bytes, too_large_message

API_PREFIX = "/api/"


def is_download(response: HttpResponse) -> bool:
    """A file or an export: a ``FileResponse``, anything with a ``Content-Disposition``, or CSV."""
    content_type = response.get("Content-Type", "")
    return (
        isinstance(response, FileResponse)
        or response.has_header("Content-Disposition")
        or content_type.startswith("text/csv")
    )


def as_attachment(response: HttpResponse) -> None:
    disposition = response.get("Content-Disposition", "")
    kind, _, rest = disposition.partition(";")
    if kind.strip().lower() != "attachment":
        response["Content-Disposition"] = "attachment" + (f";{rest}" if rest else "")
    response["X-Content-Type-Options"] = "nosniff"


def _declared_too_large(request: HttpRequest) -> bool:
    if not (request.content_type or "").startswith("multipart/"):
        return False
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared > max_upload_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class PrivateResponsesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _declared_too_large(request):
            response: HttpResponse = (
                JsonResponse({"detail": too_large_message()}, status=413)
                if request.path.startswith(API_PREFIX)
                else HttpResponse(too_large_message(), status=413, content_type="text/plain; charset=utf-8")
            )
        else:
            response = self.get_response(request)
        download = is_download(response)
        if download:
            as_attachment(response)
        if download or request.path.startswith(API_PREFIX):
            add_never_cache_headers(response)
        return response
