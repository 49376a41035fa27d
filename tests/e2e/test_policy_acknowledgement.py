"""Policies in a real browser: an Employee acknowledges a policy; two officers write, approve and publish one.

1. Olga (Compliance officer) wrote the acceptable use policy and Otto (another officer) approved and
   published it for Employees. Olga opens Policies: nobody has acknowledged it yet. Emil (Employee)
   signs in, finds it under "Policies to read" on his home page, opens it, reads it and acknowledges
   it; his home page then has nothing left to read. Olga reloads Policies: 100% acknowledged.
2. Olga writes a new policy in the form and sends it for review; the page tells her that she cannot
   approve her own version. Otto approves and publishes it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from access.models import Role, TOTPDevice
from policies.models import PolicyAcknowledgement, PolicyVersion
from tests.conftest import make_persona
from tests.e2e.conftest import Console, open_governance, screenshot, sign_in_as
from tests.e2e.test_sign_in_mfa import assert_page_is_styled_and_clean
from tests.policies.documents_helpers import published_policy, second_officer


def _otto() -> Any:
    otto = second_officer()
    device = TOTPDevice.new_for(otto)
    device.confirmed = True
    device.save()
    return otto


def _second_page(browser: Any, live_server: Any) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    return context.new_page()


def test_an_employee_acknowledges_a_policy_and_the_officer_sees_the_rate(
    page: Any, browser: Any, live_server: Any, console: Console
) -> None:
    olga, emil = make_persona("officer_olga"), make_persona("employee_emil")
    policy = published_policy(olga, _otto())
    assert list(policy.audience_roles.all()) == [Group.objects.get(name=Role.EMPLOYEE)]

    officer = _second_page(browser, live_server)
    try:
        sign_in_as(officer, olga)
        open_governance(officer, "Policies")
        expect(officer.get_by_role("heading", name="Policies", exact=True)).to_be_visible()
        row = officer.get_by_test_id("policy-row").filter(has_text="Acceptable use policy")
        expect(row.get_by_test_id("policy-rate")).to_have_text("0 of 1 (0.0%)")

        sign_in_as(page, emil)
        # An Employee sees policies only: a plain link, no Governance dropdown.
        expect(page.locator("nav.navbar").get_by_role("link", name="Policies", exact=True)).to_be_visible()
        panel = page.get_by_test_id("home-policies")
        expect(panel).to_contain_text("Acceptable use policy")
        assert_page_is_styled_and_clean(page, console)
        panel.get_by_role("link", name="Read and acknowledge").click()
        expect(page.get_by_role("heading", name="Acceptable use policy")).to_be_visible()
        expect(page.get_by_test_id("policy-text")).to_contain_text("Report lost laptops at once.")
        assert_page_is_styled_and_clean(page, console)
        page.get_by_role("button", name="I have read and will follow this policy").click()
        expect(page.get_by_role("alert").first).to_contain_text("you acknowledged Acceptable use policy (version 1)")
        expect(page.get_by_test_id("empty-state")).to_contain_text("Nothing to acknowledge")
        assert PolicyAcknowledgement.objects.filter(user=emil, version__policy=policy).count() == 1
        page.goto("/")
        expect(page.get_by_test_id("home-policies-empty")).to_be_visible()
        screenshot(page, "policy-employee-home-after.png")

        officer.reload()
        expect(row.get_by_test_id("policy-rate")).to_have_text("1 of 1 (100.0%)")
        row.get_by_role("link", name="Acceptable use policy").click()
        expect(officer.get_by_test_id("policy-rate")).to_have_text("100.0%")
        screenshot(officer, "policy-officer-rate.png")
    finally:
        officer.context.close()


def test_two_officers_write_approve_and_publish_a_policy(
    page: Any, browser: Any, live_server: Any, console: Console
) -> None:
    olga = make_persona("officer_olga")
    otto = _otto()
    make_persona("employee_emil")

    sign_in_as(page, olga)
    open_governance(page, "Policies")
    page.get_by_role("link", name="New policy").click()
    page.get_by_role("button", name="Create the policy").click()  # empty: errors name the fields
    expect(page.locator("#id_title_error")).to_be_visible()
    page.get_by_label("Title").fill("Clean desk policy")
    page.get_by_label("Employee", exact=True).check()
    page.get_by_label("Text (Markdown)").fill("# Clean desk\n\nNo papers left on desks at night.\n")
    page.get_by_role("button", name="Create the policy").click()
    expect(page.get_by_role("heading", name="Clean desk policy")).to_be_visible()
    assert_page_is_styled_and_clean(page, console)
    page.get_by_role("link", name="Version 1 (draft)").click()
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_test_id("workflow")).to_contain_text("You wrote this version")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    screenshot(page, "policy-author-in-review.png")

    approver = _second_page(browser, live_server)
    try:
        sign_in_as(approver, otto)
        approver.goto("/policies/")
        approver.get_by_role("link", name="Clean desk policy").click()
        approver.get_by_role("link", name="Version 1 (in review)").click()
        approver.get_by_role("button", name="Approve").click()
        expect(approver.get_by_role("alert").first).to_contain_text("Approved.")
        approver.get_by_role("button", name="Publish").click()
        expect(approver.get_by_role("alert").first).to_contain_text("Version 1 is published")
        version = PolicyVersion.objects.get(policy__title="Clean desk policy")
        assert (version.status, version.author, version.approver) == ("published", olga, otto)
        screenshot(approver, "policy-published.png")
    finally:
        approver.context.close()
