"""Second factor: enforcement for MFA roles, verification, recovery codes, enrolment."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from access import services
from access.models import AuthEvent, TOTPDevice, User
from tests.access.helpers import post_sign_in
from tests.conftest import PERSONA_PASSWORD, login, make_persona

VERIFY = reverse("access:mfa_verify")
ENROL = reverse("access:mfa_enrol")
HOME = reverse("home")


def _signed_in_unverified(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{device.totp().token():0{device.digits}d}"


@pytest.fixture
def alice_no_device(db: Any) -> User:
    return make_persona("admin_alice", mfa=False)


@pytest.fixture
def alice(db: Any) -> User:
    return make_persona("admin_alice")


def test_administrator_without_authenticator_is_sent_to_enrol(alice_no_device: User) -> None:
    client = login(Client(), alice_no_device)
    for url in (HOME, reverse("access:account"), reverse("access:user_list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == ENROL
    assert client.get(ENROL).status_code == 200


def test_it_administrator_without_authenticator_is_sent_to_enrol(db: Any) -> None:
    ivan = make_persona("it_ivan", mfa=False)
    response = login(Client(), ivan).get(HOME)
    assert response["Location"] == ENROL


def test_other_roles_need_no_second_factor(personas: Any) -> None:
    client = _signed_in_unverified(personas["officer_olga"])
    assert client.get(HOME).status_code == 200


def test_sign_in_through_the_page_leads_an_administrator_to_verification(alice: User) -> None:
    client = Client()
    response = post_sign_in(client, alice.email, PERSONA_PASSWORD)
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'name="otp_token"' in page.content.decode()
    assert ">Verify</button>" in page.content.decode()


def test_wrong_code_is_refused_and_recorded(alice: User) -> None:
    client = _signed_in_unverified(alice)
    response = client.post(VERIFY, {"otp_token": "000000", "next": HOME})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.MFA_FAILED, user=alice).count() == 1
    assert client.get(HOME).status_code == 302


def test_correct_code_passes_and_goes_to_next(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    client = _signed_in_unverified(alice)
    session_before = client.session.session_key
    response = client.post(VERIFY, {"otp_token": _code(device), "next": reverse("access:account")})
    assert response.status_code == 302
    assert response["Location"] == reverse("access:account")
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != session_before, "the session key changes when the user is elevated"
    assert client.get(HOME).status_code == 200
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.MFA_VERIFIED, user=alice).count() == 1


def test_code_sent_as_a_number_without_leading_zeros_passes(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    client = _signed_in_unverified(alice)
    device.refresh_from_db()
    response = client.post(VERIFY, {"otp_token": str(device.totp().token())})
    assert response.status_code == 302


def test_a_code_cannot_be_replayed(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    code = _code(device)
    assert _signed_in_unverified(alice).post(VERIFY, {"otp_token": code}).status_code == 302
    second = _signed_in_unverified(alice).post(VERIFY, {"otp_token": code})
    assert second.status_code == 200


def test_wrong_code_throttles_the_device_until_the_delay_passes(alice: User) -> None:
    device = TOTPDevice.objects.get(user=alice)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = _signed_in_unverified(alice)
        client.post(VERIFY, {"otp_token": "000000"})
        client.post(VERIFY, {"otp_token": "000001"})
        client.post(VERIFY, {"otp_token": "000002"})  # two wrong codes in a row are forgiven, not three
        refused = client.post(VERIFY, {"otp_token": _code(device)})
        assert refused.status_code == 200
        assert "Too many wrong codes" in refused.content.decode()
        traveller.shift(timedelta(seconds=3))
        assert client.post(VERIFY, {"otp_token": _code(device)}).status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_outside_the_site_is_ignored(alice: User, target: str) -> None:
    device = TOTPDevice.objects.get(user=alice)
    response = _signed_in_unverified(alice).post(VERIFY, {"otp_token": _code(device), "next": target})
    assert response.status_code == 302
    assert response["Location"] == HOME


def test_recovery_code_works_once_only(alice: User) -> None:
    codes = services.regenerate_recovery_codes(user=alice)
    first = _signed_in_unverified(alice)
    response = first.post(VERIFY, {"otp_token": codes[0].upper(), "next": HOME})
    assert response.status_code == 302
    assert first.get(HOME).status_code == 200
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.RECOVERY_CODE_USED, user=alice).count() == 1

    again = _signed_in_unverified(alice).post(VERIFY, {"otp_token": codes[0]})
    assert again.status_code == 200
    assert "not valid" in again.content.decode()
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.MFA_FAILED, user=alice).count() == 1


def test_verify_without_authenticator_sends_to_enrolment(alice_no_device: User) -> None:
    response = _signed_in_unverified(alice_no_device).get(VERIFY)
    assert response["Location"] == ENROL


def test_enrolment_shows_qr_and_secret_then_recovery_codes_once(alice_no_device: User) -> None:
    client = login(Client(), alice_no_device)
    page = client.get(ENROL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=alice_no_device, confirmed=False)
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    shown = re.search(r'data-testid="totp-secret">([^<]+)<', html)
    assert shown is not None
    assert shown.group(1).replace(" ", "") == secret
    assert "no-store" in page["Cache-Control"]

    # A reload shows the same pending authenticator, not a new one.
    client.get(ENROL)
    assert TOTPDevice.objects.filter(user=alice_no_device).count() == 1

    response = client.post(ENROL, {"otp_token": _code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", response.content.decode())
    assert len(codes) == services.RECOVERY_CODE_COUNT
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200, "enrolling also passes the second factor for this session"
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.MFA_ENROLLED, user=alice_no_device).exists()
    # The codes shown work.
    assert _signed_in_unverified(alice_no_device).post(VERIFY, {"otp_token": codes[3]}).status_code == 302


def test_enrolment_with_a_wrong_code_is_refused(alice_no_device: User) -> None:
    client = login(Client(), alice_no_device)
    client.get(ENROL)
    response = client.post(ENROL, {"otp_token": "12345x"})
    assert response.status_code == 200
    assert "digits" in response.content.decode()
    response = client.post(ENROL, {"otp_token": "000000"})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice_no_device, confirmed=True).exists()
    assert client.get(HOME)["Location"] == ENROL


def test_password_alone_cannot_replace_an_authenticator(alice: User) -> None:
    client = _signed_in_unverified(alice)
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_voluntary_enrolment_is_then_required_at_sign_in(personas: Any) -> None:
    emil = personas["employee_emil"]
    client = personas.client("employee_emil")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=emil)
    assert client.post(ENROL, {"otp_token": _code(device)}).status_code == 200

    fresh = Client()
    assert post_sign_in(fresh, emil.email, PERSONA_PASSWORD).status_code == 302
    response = fresh.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_regenerating_recovery_codes_needs_a_verified_session(alice: User) -> None:
    old = services.regenerate_recovery_codes(user=alice)
    unverified = _signed_in_unverified(alice)
    url = reverse("access:mfa_recovery_codes")
    assert unverified.post(url)["Location"].startswith(VERIFY)

    verified = login(Client(), alice)
    assert verified.get(url).status_code == 200
    response = verified.post(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    new = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", response.content.decode())
    assert len(new) == services.RECOVERY_CODE_COUNT
    assert not set(new) & set(old)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert _signed_in_unverified(alice).post(VERIFY, {"otp_token": old[0]}).status_code == 200
        traveller.shift(timedelta(seconds=2))  # past the throttle delay of that wrong code
        assert _signed_in_unverified(alice).post(VERIFY, {"otp_token": new[0]}).status_code == 302
