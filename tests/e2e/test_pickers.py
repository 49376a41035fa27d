"""The type-ahead pickers in a real browser: the risk register's owner filter, the risk form.

The officer types part of a name in the Owner filter's search field, picks the match
(htmx filled the select with it) and applies: the register lists only that owner's risks,
and the URL keeps the id contract (``?owner=<id>``). Then she records a risk whose owner
and asset she finds by typing, and the risk is saved with them.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import expect

from access.models import Role, User
from governance.models import Asset, Risk
from tests.conftest import make_persona
from tests.e2e.conftest import ARTIFACTS, Console, ensure_default_matrix
from tests.e2e.test_sign_in_mfa import assert_page_is_styled_and_clean, sign_in


def test_officer_filters_the_register_by_an_owner_found_by_typing(
    page: Any, live_server: Any, console: Console
) -> None:
    ensure_default_matrix()
    olga = make_persona("officer_olga")
    people = [User.objects.create(email=f"person{i:02d}@example.test", full_name=f"Person {i:02d}") for i in range(30)]
    zed = User.objects.create(email="zed@example.test", full_name="Zed Zimmerman")
    for i, person in enumerate(people):
        Risk.objects.create(ref=f"RSK-P{i:02d}", title=f"Risk of person {i}", owner=person)
    Risk.objects.create(ref="RSK-ZED", title="Zed's risk", owner=zed)

    sign_in(page, olga.email)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(reverse("governance:risk_list"))
    expect(page.get_by_role("heading", name="Risk register")).to_be_visible()
    owner_select = page.locator("#filter-owner")
    # Before any search, the filter holds only "Any": no option per user.
    expect(owner_select.locator("option")).to_have_count(1)

    search = page.get_by_label("Search owner")
    search.fill("zimm")
    match = owner_select.locator("option", has_text="Zed Zimmerman")
    expect(match).to_have_count(1)
    expect(owner_select.locator("option")).to_have_count(2)  # Any + the one match
    # A search still on its way when the officer picks (here: held back) does not undo the pick.
    held: list[Any] = []
    page.route("**/governance/pickers/people/**", lambda route: held.append(route))
    search.press("Enter")  # searches again; does not submit the filters
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    owner_select.select_option(label="Zed Zimmerman <zed@example.test>")
    with page.expect_response("**/governance/pickers/people/**"):
        held[0].continue_()
    page.unroute("**/governance/pickers/people/**")
    page.wait_for_timeout(300)  # htmx swaps the late answer in
    expect(owner_select).to_have_value(str(zed.pk))
    expect(page).to_have_url(re.compile(r"/governance/risks/$"))
    page.get_by_role("button", name="Apply").click()

    page.wait_for_url(re.compile(rf"owner={zed.pk}(&|$)"))
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="RSK-ZED")).to_be_visible()
    expect(table.get_by_role("link", name="RSK-P01")).to_have_count(0)
    expect(page.get_by_text("1 result", exact=True)).to_be_visible()
    # The chosen owner stays selected, resolved to the label, after the page reloads.
    expect(owner_select.locator("option:checked")).to_have_text("Zed Zimmerman <zed@example.test>")
    assert_page_is_styled_and_clean(page, console)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pickers-risk-owner-filter.png"), full_page=True)


def test_officer_records_a_risk_with_an_owner_and_an_asset_found_by_typing(
    page: Any, live_server: Any, console: Console
) -> None:
    ensure_default_matrix()
    olga = make_persona("officer_olga")
    yara = User.objects.create(email="yara@example.test", full_name="Yara Young")
    yara.groups.add(Group.objects.get(name=Role.CONTROL_OWNER))  # only a role that may own risks can
    for i in range(25):
        Asset.objects.create(name=f"Payroll system {i:02d}")
    payroll = Asset.objects.get(name="Payroll system 07")

    sign_in(page, olga.email)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(reverse("governance:risk_create"))
    page.get_by_label("Title").fill("Payroll data leaks")
    page.get_by_label("Search owner").fill("yara")
    expect(page.locator("#id_owner option")).to_have_count(2)  # the empty choice + Yara
    page.get_by_label("Owner", exact=True).select_option(label="Yara Young <yara@example.test>")
    page.get_by_label("Assets").fill("payroll")
    page.get_by_label("Assets").press("Enter")  # searches; does not submit the form
    expect(page.get_by_test_id("picker-more")).to_be_visible()  # 25 match, 20 are shown
    # Two boxes ticked while a narrower search is on its way (held back here) stay ticked when
    # it answers: one it lists again (07), one it does not (15).
    held: list[Any] = []
    page.route("**/governance/pickers/assets/**", lambda route: held.append(route))
    page.get_by_label("Assets").fill("payroll system 0")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    page.get_by_label("Payroll system 07 (Other)").check()
    page.get_by_label("Payroll system 15 (Other)").check()
    with page.expect_response("**/governance/pickers/assets/**"):
        held[0].continue_()
    page.unroute("**/governance/pickers/assets/**")
    expect(page.get_by_test_id("picker-more")).to_have_count(0)  # the narrower answer is in
    expect(page.get_by_label("Payroll system 07 (Other)")).to_be_checked()
    expect(page.get_by_label("Payroll system 15 (Other)")).to_be_checked()
    expect(page.get_by_label("Payroll system 08 (Other)")).not_to_be_checked()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("is recorded")
    risk = Risk.objects.get(title="Payroll data leaks")
    assert risk.owner == yara
    assert set(risk.assets.all()) == {payroll, Asset.objects.get(name="Payroll system 15")}
    assert_page_is_styled_and_clean(page, console)


def test_what_was_typed_before_the_scripts_were_ready_is_searched_for(
    page: Any, live_server: Any, console: Console
) -> None:
    """A slow page: the officer types in the Owner search before htmx has loaded. Her typing
    fired no search then; once the scripts are in, the search runs and Yara can be picked."""
    ensure_default_matrix()
    olga = make_persona("officer_olga")
    User.objects.create(email="yara@example.test", full_name="Yara Young").groups.add(
        Group.objects.get(name=Role.CONTROL_OWNER)
    )
    sign_in(page, olga.email)
    page.wait_for_url(f"{live_server.url}/")
    held: list[Any] = []
    page.route("**/vendor/htmx*.js", lambda route: held.append(route))
    page.goto(reverse("governance:risk_create"), wait_until="commit")
    page.get_by_label("Search owner").fill("yara")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "htmx was not held back, so this test proves nothing"
    expect(page.locator("#id_owner option")).to_have_count(1)  # only the empty choice so far
    held[0].continue_()
    page.unroute("**/vendor/htmx*.js")
    expect(page.locator("#id_owner option")).to_have_count(2)  # the empty choice + Yara
    page.get_by_label("Owner", exact=True).select_option(label="Yara Young <yara@example.test>")
    assert_page_is_styled_and_clean(page, console)
