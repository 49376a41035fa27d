"""An access review in a real browser, from import to evidence.

Ivan (IT administrator) imports the HR system's accounts from a CSV file, starts a campaign
naming Omar as reviewer; Omar revokes Emil's account on "My reviews", with a comment; Ivan
completes the campaign and its signed evidence (a CSV) and summary appear on the campaign page.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import RemovalTask, ReviewCampaign
from tests.conftest import make_persona
from tests.e2e.conftest import Console, open_governance, screenshot, sign_in_as

CSV = (
    "account,email,entitlements,last_sign_in,status\n"
    "emil,employee_emil@example.test,payroll;export,2026-01-05,active\n"
    "ghost,ghost@nowhere.test,payroll,,active\n"
)


def test_it_administrator_imports_reviewer_revokes_evidence_appears(
    page: Any, browser: Any, live_server: Any, console: Console
) -> None:
    ivan = make_persona("it_ivan")
    omar = make_persona("owner_omar")
    make_persona("employee_emil")

    # 1. Ivan imports HR's accounts.
    sign_in_as(page, ivan)
    open_governance(page, "Access reviews")
    expect(page.get_by_role("heading", name="Access reviews")).to_be_visible()
    page.get_by_role("link", name="Import accounts").click()
    page.get_by_label("System").fill("HR")
    page.get_by_label("File").set_input_files({"name": "hr.csv", "mimeType": "text/csv", "buffer": CSV.encode()})
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 2 accounts into HR.")).to_be_visible()
    expect(page.get_by_test_id("orphans")).to_have_text("1")

    # 2. He starts a campaign on HR, reviewed by Omar.
    page.get_by_role("link", name="Start a campaign").click()
    page.get_by_label("Name").fill("HR access, Q4")
    page.get_by_label("HR").check()
    page.get_by_label("Reviewer").select_option(label=str(omar))
    page.get_by_label("Due on").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Start the campaign").click()
    expect(page.get_by_role("heading", name="HR access, Q4")).to_be_visible()
    campaign_url = page.url

    # 3. Omar revokes Emil's account, saying why, and certifies the other.
    reviewer = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    omar_page = reviewer.new_page()
    try:
        sign_in_as(omar_page, omar)
        omar_page.goto("/reviews/mine/")
        lines = omar_page.get_by_test_id("review-line")
        expect(lines).to_have_count(2)
        emil_line = lines.filter(has_text="emil")
        emil_line.get_by_label("Comment").fill("Moved to sales; no payroll access needed")
        emil_line.get_by_role("button", name="Revoke").click()
        expect(omar_page.get_by_text("emil on HR: revoked.")).to_be_visible()
        omar_page.get_by_test_id("review-line").filter(has_text="ghost").get_by_role("button", name="Certify").click()
        expect(omar_page.get_by_text("ghost on HR: certified.")).to_be_visible()
    finally:
        reviewer.close()
    assert RemovalTask.objects.get().account_name == "emil"

    # 4. Ivan completes the campaign: the signed evidence and its summary appear.
    page.goto(campaign_url)
    page.get_by_role("button", name="Complete the campaign").click()
    expect(page.get_by_test_id("evidence-summary")).to_contain_text("2 lines reviewed")
    expect(page.get_by_test_id("evidence-link")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("evidence-link").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "emil,employee_emil@example.test,payroll;export,owner_omar@example.test,revoked" in text
    assert ReviewCampaign.objects.get().evidence_signature
    screenshot(page, "review-journey-evidence.png")
    assert console.mentioning("Content Security Policy") == [], "\n".join(console.messages)
