"""Small helpers every API module shares: who is calling, and validated input."""

from __future__ import annotations

from typing import Any, cast

from rest_framework import serializers
from rest_framework.request import Request

from access.models import User


def caller(request: Request) -> User:
    """The signed-in user of an API request (permission classes have already checked it)."""
    return cast(User, request.user)


def validated(serializer_class: type[serializers.Serializer[Any]], data: Any, **kwargs: Any) -> dict[str, Any]:
    """Validate ``data`` with an input serializer; a 400 naming the fields when it is wrong."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
