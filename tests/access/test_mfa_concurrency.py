"""Issue 10, item 4: a TOTP code is single-use, and wrong codes are counted, under concurrency.

The attack: twelve parallel posts of one code to ``/accounts/mfa/verify/`` made twelve
verified sessions; fifteen parallel wrong codes were all checked with one throttled.

On both databases: two requests that loaded the device before either wrote (the race, made
deterministic with two stale copies) cannot both pass one code, and both failures count.
On PostgreSQL: real threads with their own connections post to the page at the same moment.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from access.models import MFA_FREE_WRONG_CODES, AuthEvent, RecoveryCodeDevice, TOTPDevice, User
from access.services import regenerate_recovery_codes
from tests.access.test_mfa import _code
from tests.conftest import make_persona

VERIFY = reverse("access:mfa_verify")


def test_two_stale_copies_of_the_device_cannot_both_pass_one_code(db: Any) -> None:
    alice = make_persona("admin_alice")
    first = TOTPDevice.objects.get(user=alice)
    second = TOTPDevice.objects.get(user=alice)  # loaded before the first one wrote
    code = _code(TOTPDevice.objects.get(user=alice))

    assert first.verify_token(code) is True
    assert second.verify_token(code) is False


def test_two_stale_copies_count_two_failures(db: Any) -> None:
    alice = make_persona("admin_alice")
    first = TOTPDevice.objects.get(user=alice)
    second = TOTPDevice.objects.get(user=alice)

    assert first.verify_token("000000" if _code(first) != "000000" else "111111") is False
    assert second.verify_token("abc") is False

    assert TOTPDevice.objects.get(user=alice).throttling_failure_count == 2


def test_two_stale_copies_of_the_recovery_codes_cannot_both_pass_one_code(db: Any) -> None:
    alice = make_persona("admin_alice")
    code = regenerate_recovery_codes(user=alice)[0]
    first = RecoveryCodeDevice.objects.get(user=alice)
    second = RecoveryCodeDevice.objects.get(user=alice)
    assert first.verify_token(code) is True
    assert second.verify_token(code) is False


# --- Real concurrency (PostgreSQL) ---


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: queue.Queue[Any] = queue.Queue()

    def body(index: int) -> None:
        try:
            barrier.wait(timeout=20)
            results.put(work(index))
        except Exception as exc:  # reported to the test, never swallowed
            results.put(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return [results.get(timeout=120) for _ in threads]


def _clients(user: User, count: int) -> list[Client]:
    """``count`` browsers that signed in with the password and wait at the second step."""
    clients = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def postgres_only(test: Any) -> Any:
    test = pytest.mark.postgres(test)
    test = pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (SQLite serialises writers anyway)"
    )(test)
    return pytest.mark.django_db(transaction=True)(test)


@postgres_only
@pytest.mark.parametrize("attempt", range(2))
def test_twelve_parallel_posts_of_one_code_verify_one_session(attempt: int) -> None:
    alice = make_persona("admin_alice")
    clients = _clients(alice, 12)
    code = _code(TOTPDevice.objects.get(user=alice))

    def post(index: int) -> int:
        return int(clients[index].post(VERIFY, {"otp_token": code, "next": "/"}).status_code)

    statuses = _in_threads(12, post)

    assert all(isinstance(s, int) for s in statuses), statuses
    assert statuses.count(302) == 1, statuses
    assert AuthEvent.objects.filter(user=alice, kind=AuthEvent.Kind.MFA_VERIFIED).count() == 1


@postgres_only
def test_fifteen_parallel_wrong_codes_are_checked_one_at_a_time() -> None:
    alice = make_persona("admin_alice")
    clients = _clients(alice, 15)
    right = _code(TOTPDevice.objects.get(user=alice))
    wrong = "000000" if right != "000000" else "111111"

    def post(index: int) -> str:
        return clients[index].post(VERIFY, {"otp_token": wrong, "next": "/"}).content.decode()

    pages = _in_threads(15, post)

    assert all(isinstance(p, str) for p in pages), pages
    throttled = sum("Too many wrong codes" in page for page in pages)
    checked = sum("That code is not valid" in page for page in pages)
    device = TOTPDevice.objects.get(user=alice)
    assert throttled + checked == 15
    # Every checked code is counted (no lost update), and each attempt saw the count the one
    # before it left: after the free tries for typos the next must wait 1 s, then 2 s, 4 s ...
    assert device.throttling_failure_count == checked
    assert 1 <= checked <= MFA_FREE_WRONG_CODES + 3, f"{checked} of 15 parallel wrong codes were checked"
