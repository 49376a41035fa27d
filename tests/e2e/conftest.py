"""Real-browser tests: Debian's chromium driven by Playwright against the live server.

Every test here is marked ``e2e`` (``pytest -m "not e2e"`` leaves them out). A failing
test leaves a full-page screenshot in ``test-artifacts/``. Install chromium with
``bash scripts/system-deps`` (``make test`` does).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the test code and the
# live server still talk to the database synchronously, which Django would refuse.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("RAMPART_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures know in teardown whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is missing: run `bash scripts/system-deps` to install chromium.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Console:
    """What the page said: console messages, uncaught errors, failed requests."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.failed_requests: list[str] = []
        self.refused: list[str] = []  # every response of 400 or more, for error messages

    def mentioning(self, text: str) -> list[str]:
        return [m for m in self.messages if text.lower() in m.lower()]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    browser: Any, live_server: Any, transactional_db: Any, console: Console, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser context on the live server; screenshots itself when the test fails."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("console", lambda msg: console.messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.messages.append(f"pageerror: {exc}"))

    def on_response(response: Any) -> None:
        if response.status >= 400:
            console.refused.append(f"{response.status} {response.url}")
        if response.status >= 400 and "/static/" in response.url:
            console.failed_requests.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
        context.close()


def ensure_default_matrix() -> None:
    """Recreate the default risk matrix row: live-server tests flush the database, data migrations included."""
    from governance.models import RiskMatrix

    default = importlib.import_module("governance.migrations.0002_default_risk_matrix")
    RiskMatrix.objects.get_or_create(
        pk=1,
        defaults={
            "size": 5,
            "likelihood_labels": default.LIKELIHOOD,
            "impact_labels": default.IMPACT,
            "bands": default.BANDS,
        },
    )


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot into the artifacts folder CI keeps."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def open_governance(page: Any, entry: str) -> None:
    """Open an entry of the navbar's Governance dropdown."""
    page.get_by_role("button", name="Governance").click()
    page.get_by_role("link", name=entry, exact=True).click()


def sign_in_as(page: Any, user: Any, password: str | None = None) -> None:
    """Sign ``user`` in through the pages, typing the authenticator code when they have one, and land home."""
    from access.models import TOTPDevice
    from tests.conftest import PERSONA_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password or PERSONA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        page.wait_for_url("**/accounts/mfa/verify/**")
        page.locator("input[name=otp_token]").fill(f"{device.totp().token():0{device.digits}d}")
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2)  # the home page: http://host:port/
