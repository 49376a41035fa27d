"""Risk acceptance in a real browser: recorded, refused when worse after treatment, and followed up.

The officer records a risk owned by the Control owner, accepted until 20 days from today,
through the real form (the owner found by typing): the risk page names her as the approver.
A residual score above the inherent one is refused on the edit page, and nothing is saved.
The compliance dashboard counts the acceptance as ending within 30 days and links to the
register listing it; the owner's home page lists it under "Acceptance ends soon".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from governance.models import Risk
from tests.conftest import make_persona
from tests.e2e.conftest import Console, ensure_default_matrix, open_governance, screenshot
from tests.e2e.test_sign_in_mfa import assert_page_is_styled_and_clean, sign_in


def _detail(page: Any, term: str) -> Any:
    """The value (``dd``) of the risk page's ``term``."""
    return page.locator("dl dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator("xpath=following-sibling::dd[1]")


def test_officer_accepts_a_risk_and_the_acceptance_is_followed_up(
    page: Any, live_server: Any, console: Console
) -> None:
    ensure_default_matrix()
    olga = make_persona("officer_olga")
    omar = make_persona("owner_omar")
    expiry = timezone.localdate() + timedelta(days=20)
    with translation.override("en"):
        expiry_shown = formats.date_format(expiry, "DATE_FORMAT")

    # 1. Olga records the risk, owned by Omar and accepted until 20 days from today.
    sign_in(page, olga.email)
    page.wait_for_url(f"{live_server.url}/")
    open_governance(page, "Risks")
    expect(page.get_by_role("heading", name="Risk register")).to_be_visible()
    page.get_by_role("link", name="New risk").click()
    expect(page.get_by_role("heading", name="New risk")).to_be_visible()
    expect(page.get_by_label("Accepted by")).to_have_count(0)  # the approver is whoever records it
    page.get_by_label("Title").fill("Old payroll export kept on a shared drive")
    page.get_by_label("Search owner").fill("omar")
    owner = page.get_by_label("Owner", exact=True)
    expect(owner.locator("option")).to_have_count(2)  # the empty choice + Omar
    owner.select_option(label=f"Omar Owner <{omar.email}>")
    page.get_by_label("Inherent likelihood").select_option("4")
    page.get_by_label("Inherent impact").select_option("4")
    page.get_by_label("Residual likelihood").select_option("2")
    page.get_by_label("Residual impact").select_option("2")
    page.get_by_role("combobox", name="Treatment", exact=True).select_option(label="Accept")
    page.get_by_label("Acceptance expires on").fill(expiry.isoformat())
    assert_page_is_styled_and_clean(page, console)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("is recorded")
    page.wait_for_url(re.compile(r"/governance/risks/\d+/$"))
    risk = Risk.objects.get(title="Old payroll export kept on a shared drive")
    expect(page.get_by_role("heading", level=1)).to_contain_text(risk.ref)
    expect(_detail(page, "Owner")).to_have_text("Omar Owner")
    expect(_detail(page, "Treatment")).to_have_text("Accept")
    expect(_detail(page, "Accepted by")).to_have_text("Olga Officer")
    expect(_detail(page, "Acceptance expires")).to_have_text(expiry_shown)
    expect(page.get_by_text("Acceptance expired")).to_have_count(0)
    assert (risk.owner, risk.accepted_by, risk.acceptance_expires_on) == (omar, olga, expiry)
    assert (risk.inherent_score, risk.residual_score) == (16, 4)
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "risk-acceptance-recorded.png")

    # 2. A residual score of 5x5, above the inherent 4x4, is refused; nothing is saved.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name=f"Edit {risk.ref}")).to_be_visible()
    page.get_by_label("Residual likelihood").select_option("5")
    page.get_by_label("Residual impact").select_option("5")
    page.get_by_role("button", name="Save").click()

    error = page.locator("#id_residual_likelihood_error")
    expect(error).to_contain_text("The residual score (25) cannot be above the inherent score (16)")
    expect(page.locator("#id_residual_impact_error")).to_contain_text("cannot be above the inherent score")
    expect(page.get_by_role("heading", name=f"Edit {risk.ref}")).to_be_visible()
    expect(page.get_by_text("is saved")).to_have_count(0)
    risk.refresh_from_db()
    assert (risk.residual_likelihood, risk.residual_impact) == (2, 2)
    assert (risk.accepted_by, risk.acceptance_expires_on) == (olga, expiry)
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "risk-acceptance-residual-refused.png")

    # 3. The compliance dashboard counts the acceptance; its link lists exactly that risk.
    open_governance(page, "Compliance")
    expect(page.get_by_role("heading", name="Coverage per framework")).to_be_visible()
    expect(page.get_by_test_id("acceptances-expiring")).to_have_text("1")
    expect(page.get_by_test_id("acceptances-expired")).to_have_text("0")
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "risk-acceptance-dashboard.png")
    page.get_by_role("link", name="Risk acceptances ending within 30 days").click()
    page.wait_for_url(re.compile(r"/governance/risks/\?.*acceptance=expiring"))
    expect(page.get_by_role("heading", name="Risk register")).to_be_visible()
    expect(page.get_by_text("1 result", exact=True)).to_be_visible()
    listed = page.get_by_role("table").get_by_role("link", name=re.compile(r"^RSK-"))
    expect(listed).to_have_count(1)
    expect(listed).to_have_text(risk.ref)
    assert_page_is_styled_and_clean(page, console)

    # 4. Omar's home page lists the risk under "Acceptance ends soon".
    page.context.clear_cookies()
    sign_in(page, omar.email)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("[data-testid=signed-in-as]")).to_have_text(omar.email)
    expect(page.get_by_role("heading", name="Acceptance ends soon")).to_be_visible()
    ending = page.get_by_test_id("home-risks-ending").get_by_role("listitem")
    expect(ending).to_have_count(1)
    expect(ending).to_contain_text(f"{risk.ref} {risk.title}")
    expect(ending).to_contain_text(f"until {expiry_shown}")
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "risk-acceptance-owner-home.png")
    ending.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/governance/risks/{risk.pk}/$"))
    expect(_detail(page, "Accepted by")).to_have_text("Olga Officer")
    # The only refusal on the way is the edit page's answer to the invalid residual (400).
    edit_url = f"{live_server.url}{reverse('governance:risk_edit', args=[risk.pk])}"
    assert console.refused == [f"400 {edit_url}"], console.refused
