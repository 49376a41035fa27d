"""Patch checks in a real browser: an IT administrator uploads a server's inventory and sees its findings.

Ivan (IT administrator, signed in with his authenticator code) opens Patches from the navigation,
first uploads a dpkg file with a broken line (refused, the line named, nothing kept), then the
real ``dpkg-query`` output of a Debian 12 server. The advisories were imported beforehand (OSV
records and Debian's tracker, through the import service). He lands on the server's patch
status: three findings, each with its due date from the patch policy, and the version to install;
the findings list then shows them with their due dates too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from policies.models import Inventory, PatchFinding
from tests.conftest import make_persona
from tests.e2e.conftest import Console, screenshot, sign_in_as
from tests.e2e.test_sign_in_mfa import assert_page_is_styled_and_clean
from tests.policies.conftest import DPKG, standard_advisories


def _open_patches(page: Any) -> None:
    """Patches is in the navbar's Governance dropdown."""
    navbar = page.locator("nav.navbar")
    navbar.get_by_role("button", name="Governance").click()
    navbar.get_by_role("link", name="Patches", exact=True).click()


def _choose_file(page: Any, name: str, text: str) -> None:
    page.get_by_label("Inventory file").set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": text.encode()}
    )


def test_it_administrator_uploads_an_inventory_and_sees_findings_with_due_dates(
    page: Any, live_server: Any, console: Console
) -> None:
    ivan = make_persona("it_ivan")
    standard_advisories()
    today = timezone.localdate()

    sign_in_as(page, ivan)
    _open_patches(page)
    expect(page.get_by_role("heading", name="Patches")).to_be_visible()
    expect(page.get_by_test_id("empty-state")).to_contain_text("No finding yet")
    assert_page_is_styled_and_clean(page, console)

    # 1. A file with a broken line is refused whole, naming the line.
    page.get_by_role("link", name="Upload an inventory").first.click()
    expect(page.get_by_role("heading", name="Upload an inventory")).to_be_visible()
    page.get_by_label("Asset").fill("payroll-db")
    _choose_file(page, "dpkg.txt", DPKG + "broken line without tabs\n")
    page.get_by_label("Format").select_option("dpkg")
    page.get_by_label("Debian release").fill("debian:12")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("line 7: expected 4 tab-separated columns, got 1")
    assert not Inventory.objects.exists()
    assert_page_is_styled_and_clean(page, console)

    # 2. The server's real output is imported and checked at once.
    _choose_file(page, "dpkg.txt", DPKG)
    page.get_by_label("Format").select_option("dpkg")
    page.get_by_label("Debian release").fill("debian:12")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("alert")).to_contain_text("Imported 6 packages for payroll-db; 3 new finding(s)")
    expect(page.get_by_role("heading", name="Patch status of payroll-db")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    openssl = rows.filter(has_text="CVE-2023-5363")
    expect(openssl).to_contain_text("3.0.11-1~deb12u2")  # the version to install
    expect(openssl.get_by_test_id("due-date")).to_have_text(date_format(today + timedelta(days=30)))
    low = rows.filter(has_text="CVE-2024-0727")
    expect(low.get_by_test_id("due-date")).to_have_text(date_format(today + timedelta(days=180)))
    expect(page.get_by_test_id("asset-compliance")).to_have_text("100.0%")
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "patch-asset-status.png")

    # 3. The findings list has them too, with their due dates.
    _open_patches(page)
    expect(page.get_by_text("3 results", exact=True)).to_be_visible()
    due = page.locator("table tbody").get_by_test_id("due-date")
    expect(due).to_have_count(3)
    shown = set(due.all_inner_texts())
    expected = {date_format(f.due_date) for f in PatchFinding.objects.all()}
    assert shown == expected and len(expected) == 3
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "patch-findings.png")
