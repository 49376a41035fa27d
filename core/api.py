"""API wiring: one router for every app, the schema and docs views, and errors that never leak a 500.

Who may read what:

- ``/api/v1/...``: each viewset names its own permission classes; the default is DenyAll.
- ``/api/schema/`` (``api-schema``): any signed-in, active user (token, or a session that
  passed MFA where the role needs it). Anonymous callers get 401. The schema describes the
  whole API surface, which is not a secret to someone who may use the API at all; what each
  caller may *do* is decided per endpoint.
- ``/api/docs/`` (``api-docs``): the same people, in a browser. Anonymous visitors are sent to
  sign in. Swagger UI comes from drf-spectacular-sidecar under our own ``/static/`` and its
  init script is a separate file (``?script=``), so the strict CSP holds.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import parsers, serializers, status
from rest_framework.response import Response
from rest_framework.routers import APIRootView, DefaultRouter, Route
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.api_parsers import JSONParser as BoundedJSONParser
from core.api_permissions import IsSignedIn
from core.errors import DomainError


class ApiRootView(APIRootView):
    """``/api/v1/``: the list of endpoints, for signed-in users (the default DenyAll would hide it)."""

    permission_classes = [IsSignedIn]


class ApiRouter(DefaultRouter):
    """DRF's router, plus ``PUT`` on a collection URL for viewsets with a ``replace`` method.

    For one-of-a-kind settings such as ``/risk-matrix/``: ``GET`` reads them (``list``) and
    ``PUT`` replaces them (``replace``). Viewsets without ``replace`` are unchanged.
    """

    APIRootView = ApiRootView
    # No ``.json`` format suffixes: one URL per resource. (Our views take no ``format``
    # argument, so ``/api/v1/me.json`` answered 500; now it is a 404 like any unknown URL.)
    include_format_suffixes = False
    routes = [
        route._replace(mapping={**route.mapping, "put": "replace"})
        if isinstance(route, Route) and route.name == "{basename}-list"
        else route
        for route in DefaultRouter.routes
    ]

    def get_urls(self) -> list[Any]:
        for _, viewset, _ in self.registry:
            bound_json_parsers(viewset)
        return list(super().get_urls())


def _bounded(classes: Any) -> list[Any]:
    return [BoundedJSONParser if cls is parsers.JSONParser else cls for cls in classes]


def bound_json_parsers(viewset: Any) -> None:
    """Swap DRF's JSON parser for the bounded one (``core.api_parsers``) on ``viewset`` and its actions.

    API modules may name ``rest_framework.parsers.JSONParser`` in ``parser_classes``; every
    route still parses JSON with size and depth limits, so no body can cause a 500.
    """
    viewset.parser_classes = _bounded(viewset.parser_classes)
    for extra in viewset.get_extra_actions():
        if "parser_classes" in extra.kwargs:
            extra.kwargs["parser_classes"] = _bounded(extra.kwargs["parser_classes"])


router = ApiRouter()


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain and model validation errors become 4xx with a readable message.

    Bodies of 4xx responses are always JSON objects: ``{"detail": "..."}`` or
    ``{"<field>": ["<message>", ...]}``; a bare list of messages is put under
    ``non_field_errors`` so clients (and the OpenAPI schema) can rely on one shape.
    """
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": str(exc) or "The request body is too large."}, status=413)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RecursionError):  # input nested too deep for a parser: the caller's fault, never a 500
        return Response({"detail": "The input is nested too deeply."}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a URL that matches no route is JSON under ``/api/``, the usual page elsewhere.

    Lookups are restricted by pattern (``[0-9]+`` ...), so ``/api/v1/users/abc/`` never
    reaches DRF; API clients (and the schema, which documents 404 as JSON) still get JSON.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


# --- OpenAPI ---


class ErrorOutput(serializers.Serializer[Any]):
    """The body of a 401, 403 or 404."""

    detail = serializers.CharField()

    class Meta:
        ref_name = "Error"


VALIDATION_ERROR = OpenApiResponse(
    response={
        "type": "object",
        "description": (
            "Each key names the field (or query parameter) that was wrong, with a list of messages; "
            "`detail` holds an error that concerns no single field, `non_field_errors` one that "
            "concerns several."
        ),
        "additionalProperties": {},
    },
    description="The input was not valid, or a rule of the domain refused the change.",
)
NOT_SIGNED_IN = OpenApiResponse(ErrorOutput, description="No valid credentials: missing, expired or revoked token.")
FORBIDDEN = OpenApiResponse(ErrorOutput, description="Signed in, but not allowed to do this.")
NOT_FOUND = OpenApiResponse(ErrorOutput, description="No such object visible to you, or no such page.")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses every endpoint can give.

    Every operation may answer 400 (bad input or a domain rule), 401 and 403. Operations
    on one object, and paginated lists (``?page=`` past the end), may answer 404.
    """

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        errors = {"400": VALIDATION_ERROR, "401": NOT_SIGNED_IN, "403": FORBIDDEN}
        has_path_params = any(p.get("in") == "path" for p in operation.get("parameters", []))
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None  # type: ignore[no-untyped-call]
        if has_path_params or paginated:
            errors["404"] = NOT_FOUND
        responses = operation.setdefault("responses", {})
        for code, response in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code)  # type: ignore[no-untyped-call]
        return operation


class SingleObjectSchema(ApiAutoSchema):
    """For a ``list`` route that answers with one object, not an array (``/me/``, a summary).

    Use as ``schema = SingleObjectSchema()`` on the viewset, with no pagination in the view.
    """

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False
