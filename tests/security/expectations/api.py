"""The access API (``/api/v1/me|tokens|users``), the OpenAPI schema and the docs page.

Who may do what:

- ``me``: every signed-in persona, about themselves.
- ``tokens``: every persona on their own tokens; another person's token is a 404
  (tokens here belong to employee_emil).
- ``users``: holders of ``access.manage_users`` (Administrators) only; others 403.
- ``api-schema``: every signed-in persona; anonymous 401 (it is an API resource).
- ``api-docs``: every signed-in persona; anonymous visitors are sent to sign in (a page).
"""

from __future__ import annotations

from typing import Any

from access.models import ApiToken, Role
from access.services import create_api_token
from tests.security.expectations import ALL, API_ANON, Route, roles


def _emil_token(p: Any) -> dict[str, Any]:
    """A token of employee_emil's (created on demand: the matrix builds fresh personas per case)."""
    emil = p["employee_emil"]
    token = ApiToken.objects.filter(user=emil).first() or create_api_token(user=emil, name="matrix")[0]
    return {"pk": token.pk}


def _emil(p: Any) -> dict[str, Any]:
    return {"pk": p["employee_emil"].pk}


ADMINS = roles("admin_alice")
EMIL = roles("employee_emil")
NOT_YOURS = (404,)

ROUTES = [
    Route("me-list", ALL, anonymous=API_ANON),
    # Tokens: own only. Sessions may create them (personas sign in with a session here).
    Route("token-list", ALL, anonymous=API_ANON),
    Route("token-list", ALL, method="post", data={"name": "matrix"}, ok=201, anonymous=API_ANON),
    Route("token-detail", EMIL, kwargs=_emil_token, denied=NOT_YOURS, anonymous=API_ANON),
    Route("token-detail", EMIL, kwargs=_emil_token, method="delete", ok=204, denied=NOT_YOURS, anonymous=API_ANON),
    Route("token-revoke", EMIL, kwargs=_emil_token, method="post", denied=NOT_YOURS, anonymous=API_ANON),
    # User management: Administrators (access.manage_users), reads included.
    Route("user-list", ADMINS, anonymous=API_ANON),
    Route(
        "user-list",
        ADMINS,
        method="post",
        data={"email": "new.person@example.test", "full_name": "New Person", "roles": [Role.EMPLOYEE]},
        ok=201,
        anonymous=API_ANON,
    ),
    Route("user-detail", ADMINS, kwargs=_emil, anonymous=API_ANON),
    Route(
        "user-change-roles",
        ADMINS,
        kwargs=_emil,
        method="post",
        data={"roles": [Role.EMPLOYEE, Role.CONTROL_OWNER]},
        anonymous=API_ANON,
    ),
    Route("user-deactivate", ADMINS, kwargs=_emil, method="post", anonymous=API_ANON),
    Route("user-reactivate", ADMINS, kwargs=_emil, method="post", anonymous=API_ANON),
    # Schema and docs: any signed-in user.
    Route("api-schema", ALL, anonymous=API_ANON),
    Route("api-docs", ALL, note="Swagger UI; anonymous visitors are sent to sign in."),
]
