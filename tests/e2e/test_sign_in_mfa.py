"""Signing in for real: password, then the authenticator code for roles that need MFA."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from access.models import TOTPDevice
from tests.conftest import PERSONA_PASSWORD, make_persona
from tests.e2e.conftest import ARTIFACTS, Console


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def assert_page_is_styled_and_clean(page: Any, console: Console) -> None:
    # Bootstrap's stylesheet arrived and applied: its .navbar is a flex container.
    assert page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display") == "flex"
    assert console.failed_requests == [], console.failed_requests
    assert console.mentioning("Content Security Policy") == [], "\n".join(console.messages)
    assert console.mentioning("pageerror") == [], "\n".join(console.messages)


def test_administrator_signs_in_with_password_and_authenticator_code(
    page: Any, live_server: Any, console: Console
) -> None:
    alice = make_persona("admin_alice")
    device = TOTPDevice.objects.get(user=alice, confirmed=True)
    try:
        sign_in(page, alice.email)

        page.wait_for_url("**/accounts/mfa/verify/**")
        assert page.get_by_role("heading", name="Two-step sign-in").is_visible()
        assert_page_is_styled_and_clean(page, console)
        page.locator("input[name=otp_token]").fill(f"{device.totp().token():0{device.digits}d}")
        page.get_by_role("button", name="Verify").click()

        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator("[data-testid=signed-in-as]")).to_have_text(alice.email)
        expect(page.get_by_role("link", name="Users", exact=True)).to_be_visible()
        assert_page_is_styled_and_clean(page, console)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sign-in-mfa.png"), full_page=True)


def test_administrator_with_a_wrong_code_stays_on_the_verify_page(page: Any, live_server: Any) -> None:
    alice = make_persona("admin_alice")
    device = TOTPDevice.objects.get(user=alice, confirmed=True)
    wrong = (int(device.totp().token()) + 1) % 10**device.digits
    sign_in(page, alice.email)
    page.wait_for_url("**/accounts/mfa/verify/**")

    page.locator("input[name=otp_token]").fill(f"{wrong:0{device.digits}d}")
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    assert "/accounts/mfa/verify/" in page.url
    expect(page.locator("[data-testid=signed-in-as]")).to_have_count(1)
    response = page.goto("/users/")
    assert response is not None
    assert "/accounts/mfa/verify/" in page.url


def test_employee_signs_in_without_mfa_and_cannot_manage_users(page: Any, live_server: Any, console: Console) -> None:
    emil = make_persona("employee_emil")

    sign_in(page, emil.email)

    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("[data-testid=signed-in-as]")).to_have_text(emil.email)
    expect(page.get_by_role("link", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Users", exact=True)).to_have_count(0)
    assert_page_is_styled_and_clean(page, console)

    response = page.goto("/users/")
    assert response is not None
    assert response.status == 403
