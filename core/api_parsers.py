"""The API's JSON parser: bounded in size and nesting depth, so no body can cause a 500.

DRF's parser hands the whole body to ``json.loads``: a body nested ~1,000 deep raised
``RecursionError`` (a 500), and a JSON body was read whatever its size. Here the body is
read up to ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413 beyond) and its depth checked before it is
parsed (400 beyond ``MAX_JSON_DEPTH``). Every viewset uses this parser (the default, and the
one the API modules import); a test checks that none uses DRF's own.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError

from core.limits import json_depth_exceeds

MAX_JSON_DEPTH = 32  # our bodies nest a few levels; 32 leaves room and stays far from the stack's end


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit and a depth limit checked before parsing."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        data = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(data) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = data.decode(encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
