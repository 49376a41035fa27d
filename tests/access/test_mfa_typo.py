"""Two-step sign-in forgives a typo: wrong codes are counted, and only a run of them waits.

The first wrong codes in a row cost nothing, so a person who mistypes once can type the
right code at once; from the third wrong code in a row each try waits twice as long as
the one before (1, 2, 4 ... seconds), and the message counts seconds in good English.
Also: between the password and the second factor, the page shows no navigation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.models import TOTPDevice, User
from tests.conftest import make_persona

VERIFY = reverse("access:mfa_verify")


@pytest.fixture
def alice(db: Any) -> User:
    return make_persona("admin_alice")


def _unverified(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _code(device: TOTPDevice, *, wrong: bool = False) -> str:
    device.refresh_from_db()
    value = device.totp().token()
    if wrong:
        value = (value + 1) % 10**device.digits
    return f"{value:0{device.digits}d}"


def test_one_typo_does_not_block_the_right_code(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    with time_machine.travel(timezone.now(), tick=False):
        client = _unverified(alice)
        typo = client.post(VERIFY, {"otp_token": _code(device, wrong=True)})
        assert "That code is not valid" in typo.content.decode()
        assert client.post(VERIFY, {"otp_token": _code(device)}).status_code == 302


def test_two_typos_do_not_block_the_right_code_either(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    with time_machine.travel(timezone.now(), tick=False):
        client = _unverified(alice)
        for _ in range(2):
            client.post(VERIFY, {"otp_token": _code(device, wrong=True)})
        assert client.post(VERIFY, {"otp_token": _code(device)}).status_code == 302


def test_a_run_of_wrong_codes_waits_longer_each_time(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = _unverified(alice)
        for _ in range(3):
            client.post(VERIFY, {"otp_token": _code(device, wrong=True)})
        refused = client.post(VERIFY, {"otp_token": _code(device)}).content.decode()
        assert "Too many wrong codes. Wait 1 second, then try again." in refused

        traveller.shift(timedelta(seconds=1))
        client.post(VERIFY, {"otp_token": _code(device, wrong=True)})  # the fourth in a row
        refused = client.post(VERIFY, {"otp_token": _code(device)}).content.decode()
        assert "Too many wrong codes. Wait 2 seconds, then try again." in refused

        traveller.shift(timedelta(seconds=2))
        assert client.post(VERIFY, {"otp_token": _code(device)}).status_code == 302


def test_the_second_step_shows_no_navigation(alice: User) -> None:
    html = _unverified(alice).get(VERIFY).content.decode()
    assert "Two-step sign-in" in html
    for entry in ("Governance", "Users", "Job runs", "Audit trail", "API tokens"):
        assert f">{entry}<" not in html, entry
    assert "Sign out" in html


def test_enrolment_required_by_the_role_shows_no_navigation(db: Any) -> None:
    ivan = make_persona("it_ivan", mfa=False)
    html = _unverified(ivan).get(reverse("access:mfa_enrol")).content.decode()
    assert "Set up an authenticator app" in html
    assert ">Job runs<" not in html and ">API tokens<" not in html


def test_after_the_second_step_the_navigation_is_back(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    client = _unverified(alice)
    client.post(VERIFY, {"otp_token": _code(device)})
    html = client.get(reverse("home")).content.decode()
    assert ">Users<" in html and ">API tokens<" in html
