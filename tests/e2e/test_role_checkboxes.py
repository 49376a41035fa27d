"""Role checkboxes on the invite page and the user page, clicked like a person would.

Playwright refuses a click on a control that another element covers (a button, a card),
so clicking each checkbox without ``force`` proves it can be reached; the saved roles
prove the clicks took effect.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from access.models import Role, User
from tests.conftest import make_persona
from tests.e2e.conftest import Console, screenshot, sign_in_as

ROLES = [label for _, label in Role.choices]


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def _tick_every_role(page: Any, container: Any) -> None:
    boxes = [page.get_by_role("checkbox", name=label, exact=True) for label in ROLES]
    for box in boxes:
        box.click()  # no force: fails when something covers the checkbox
        expect(box).to_be_checked()
    for label, box in zip(ROLES, boxes, strict=True):
        label_box = page.locator(f"label[for='{box.get_attribute('id')}']").bounding_box()
        assert label_box is not None and _inside(label_box, container.bounding_box()), f"{label} spills out"
        # One line per role: the label sits beside its box, not wrapped under it.
        assert label_box["height"] < 2 * box.bounding_box()["height"] + 8, f"{label} wraps"


def test_admin_invites_a_user_ticking_every_role(page: Any, live_server: Any, console: Console) -> None:
    alice = make_persona("admin_alice")
    sign_in_as(page, alice)
    page.goto("/users/invite/")
    page.get_by_label("Email address").fill("new.person@example.test")
    page.get_by_label("Full name").fill("New Person")
    _tick_every_role(page, page.locator("main form"))
    invite = page.get_by_role("button", name="Invite")
    # The button sits below the last role, not over any of them.
    last = page.get_by_role("checkbox", name=ROLES[-1], exact=True).bounding_box()
    assert invite.bounding_box()["y"] >= last["y"] + last["height"]
    screenshot(page, "roles-invite.png")
    invite.click()
    expect(page.get_by_text("new.person@example.test").first).to_be_visible()
    assert sorted(User.objects.get(email="new.person@example.test").role_names) == sorted(ROLES)
    assert console.mentioning("pageerror") == []


def test_admin_changes_roles_on_the_user_page(page: Any, live_server: Any, console: Console) -> None:
    alice = make_persona("admin_alice")
    emil = make_persona("employee_emil")
    sign_in_as(page, alice)
    page.goto(f"/users/{emil.pk}/")
    card = page.locator("section", has=page.get_by_role("heading", name="Roles"))
    # Employee is ticked already: untick it first, then tick every role.
    page.get_by_role("checkbox", name="Employee", exact=True).click()
    _tick_every_role(page, card)
    screenshot(page, "roles-user-page.png")
    page.get_by_role("button", name="Save roles").click()
    expect(page.get_by_text(f"Roles of {emil.email} are saved.")).to_be_visible()
    assert sorted(User.objects.get(pk=emil.pk).role_names) == sorted(ROLES)
