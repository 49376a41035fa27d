"""Property-based run of the whole API against its own OpenAPI schema (Schemathesis).

Signed in as admin_alice with a personal token, every operation of the schema gets a
bounded, deterministic set of generated requests. Each response must not be a 5xx and
must conform to the schema: a documented status code, the documented content type and
headers, and a body that matches the documented schema (Schemathesis' ``ALL_CHECKS``).
The token is registered as the run's explicit auth, so ``ignored_auth`` also replays
each successful request without it, and with a spoiled token or session cookie, and
expects 401. Nothing is excluded.

The same database carries over from one example to the next, so later examples meet
the users and tokens earlier ones created. Should an example revoke the token the run
uses (``DELETE /tokens/{id}/`` may hit it), the token is made live again before the
next request, so the rest of the run is not only 401s.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import ALL_CHECKS

from access.models import ApiToken
from access.services import create_api_token
from config.wsgi import application
from tests.api.conftest import bearer

# Per operation. The API has ~75 operations; 10 keeps the run near two minutes on a small
# machine. Raise it for a deeper run: RAMPART_SCHEMATHESIS_EXAMPLES=100 pytest -m slow tests/api
MAX_EXAMPLES = int(os.environ.get("RAMPART_SCHEMATHESIS_EXAMPLES", "10"))


def _raw_schema() -> dict[str, Any]:
    """The schema exactly as ``/api/schema/`` serves it (as JSON)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(schema)))


@pytest.fixture
def one_db_connection() -> Iterator[None]:
    """Keep the test's connection open across WSGI requests, as Django's test client does.

    Schemathesis calls the real WSGI application, whose request signals close "old"
    connections; on PostgreSQL that would close the connection holding the test's
    transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.usefixtures("one_db_connection")
def test_every_operation_conforms_to_the_schema(personas: Any, settings: Any) -> None:
    # Invitations hash a password; Argon2 would spend most of the run there, and hashing is
    # not what this test is about (the password tests use the real hasher).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    schema = schemathesis.from_dict(_raw_schema(), app=application)
    token, raw = create_api_token(user=personas["admin_alice"], name="schemathesis")

    @schema.auth(refresh_interval=None)
    class PersonalToken:
        """Alice's token, as explicit auth: ``ignored_auth`` then checks that removing or
        spoiling it (header or session cookie) gives a 401."""

        def get(self, case: Any, context: Any) -> str:
            return raw

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), **bearer(data)}

    failures: list[str] = []
    operations = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            # No shrinking: a failure is reported as found, so a failing run stays bounded too.
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        )
        def run(case: Any) -> None:
            ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
            response = case.call_wsgi()
            case.validate_response(response, checks=ALL_CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.verbose_name}:\n{exc}")

    print(f"Schemathesis: {operations} operations x {MAX_EXAMPLES} examples in {time.monotonic() - started:.0f}s")
    assert operations >= 12, "the schema lost operations"
    assert not failures, "\n\n".join(failures)
