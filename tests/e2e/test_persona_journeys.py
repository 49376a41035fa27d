"""Every persona, in a real browser: sign in, open the home page and every page of the navigation.

For each page the journey checks what a person would notice: the page answered (no 4xx or
5xx on the way), nothing went wrong in the console (no error, no blocked script or style),
no control is covered by another (every visible link, button and field passes the hit test a
real click goes through, run in the page; the first ones of each page also Playwright's trial
click, one by one; nothing is forced), and the labels
of a filter bar sit on one line. Each page is kept as a screenshot in ``test-artifacts/``
(``journey-<persona>-<page>.png``).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest

from core.actor import acting
from governance.services.frameworks import import_library
from tests.conftest import PERSONAS, make_persona
from tests.e2e.conftest import Console, ensure_default_matrix, screenshot, sign_in_as

# Visible links, buttons and fields of the page (not inside a closed menu or a hidden part).
CONTROLS_JS = """
() => {
  const wanted = 'a[href], button, input:not([type=hidden]), select, textarea';
  const closed = '.dropdown-menu:not(.show), .collapse:not(.show):not(.navbar-collapse), [hidden], details:not([open])';
  const found = [];
  for (const el of document.querySelectorAll(wanted)) {
    if (el.closest(closed)) continue;
    if (el.classList.contains('visually-hidden-focusable') || el.closest('.visually-hidden')) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width < 4 || box.height < 4 || style.visibility === 'hidden' || style.display === 'none') continue;
    if (el.disabled) continue;
    el.setAttribute('data-journey-control', String(found.length));
    const name = el.innerText || el.value || el.name || el.getAttribute('aria-label') || el.tagName;
    found.push(name.trim().slice(0, 60));
  }
  return found;
}
"""
# Each marked control scrolled to the middle of the window: is the element at the centre of its
# first box the control itself (or inside it)? That is the hit test a real click goes through, run in the page
# for every control at once; ``[index, what covers it]`` of each control that fails it.
HIT_TEST_JS = """
() => {
  const covered = [];
  for (const el of document.querySelectorAll('[data-journey-control]')) {
    el.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});  // Bootstrap scrolls smoothly
    // A link that wraps has several boxes; a click lands on the first (as Playwright's does).
    const box = [...el.getClientRects()].find(r => r.width >= 1 && r.height >= 1) || el.getBoundingClientRect();
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    if (!hit || !(hit === el || el.contains(hit))) {
      covered.push([Number(el.getAttribute('data-journey-control')), hit ? hit.outerHTML.slice(0, 100) : 'nothing']);
    }
  }
  window.scrollTo({top: 0, left: 0, behavior: 'instant'});
  return covered;
}
"""
TRIAL_CLICKS = 12  # per page, Playwright's own actionability checks as well (each waits for frames)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def _nav_entries(page: Any) -> list[tuple[str | None, str]]:
    """(dropdown label or None, entry label) of every navigation entry, in order."""
    entries: list[tuple[str | None, str]] = []
    nav = page.get_by_role("navigation", name="Main")
    for item in nav.locator("ul.navbar-nav > li").all():
        toggle = item.locator("button.dropdown-toggle")
        if toggle.count():
            group = toggle.inner_text().strip()
            entries.extend((group, link.inner_text().strip()) for link in item.locator("a.dropdown-item").all())
        else:
            entries.append((None, item.locator("a").inner_text().strip()))
    return entries


def _open(page: Any, group: str | None, label: str) -> None:
    """Reach a page as a person does: open the dropdown, then click the entry (no forced clicks)."""
    nav = page.get_by_role("navigation", name="Main")
    if group:
        nav.get_by_role("button", name=group, exact=True).click()
    with page.expect_navigation():
        nav.get_by_role("link", name=label, exact=True).click()
    # Let scripts finish drawing (Swagger UI fetches the schema); a page that keeps polling
    # never goes idle and is checked as it is.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("networkidle", timeout=5000)


def _every_control_can_be_reached(page: Any, where: str) -> None:
    """Every visible control passes the hit test (nothing covers it); the first ones also pass
    Playwright's trial click (visible, stable, enabled, receives the click), one by one."""
    names = page.evaluate(CONTROLS_JS)
    blocked = [f"{names[index]!r}: covered by {cover}" for index, cover in page.evaluate(HIT_TEST_JS)]
    for index, name in list(enumerate(names))[:TRIAL_CLICKS]:
        control = page.locator(f"[data-journey-control='{index}']")
        try:
            control.click(trial=True, timeout=3000)  # actionability only: visible, stable, receives the click
        except Exception as exc:  # collect every covered control, then fail once
            blocked.append(f"{name!r}: {str(exc).splitlines()[0]}")
    assert not blocked, f"{where}: controls a person cannot click:\n" + "\n".join(blocked)


def _filter_labels_on_one_line(page: Any, where: str) -> None:
    for bar in page.locator("form[role=search]").all():
        tops = {round(label.bounding_box()["y"]) for label in bar.locator("label.form-label").all()[:6]}
        assert len(tops) <= 1 or max(tops) - min(tops) <= 2 or _wrapped(bar), f"{where}: filter labels {tops}"


def _wrapped(bar: Any) -> bool:
    """A filter bar wider than the page wraps to a second row: labels of a row must still align."""
    rows: dict[int, list[int]] = {}
    for label in bar.locator("label.form-label").all():
        box = label.bounding_box()
        rows.setdefault(round(box["y"] / 40), []).append(round(box["y"]))
    return all(max(ys) - min(ys) <= 2 for ys in rows.values())


def _page_is_clean(page: Any, console: Console, where: str) -> None:
    errors = [m for m in console.messages if m.startswith(("error:", "pageerror:"))]
    assert not errors, f"{where}: console errors:\n" + "\n".join(errors)
    assert not console.refused, f"{where}: refused requests: {console.refused}"
    assert not console.failed_requests, f"{where}: {console.failed_requests}"
    if page.locator("nav.navbar").count():  # our pages (the API documentation is Swagger UI's own)
        assert page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display") == "flex"


@pytest.fixture
def people(transactional_db: Any) -> dict[str, Any]:
    ensure_default_matrix()
    people = {name: make_persona(name) for name in PERSONAS}
    with acting(people["officer_olga"], via="test"):
        import_library(actor=people["officer_olga"])
    return people


@pytest.mark.parametrize("persona", PERSONAS)
def test_persona_journey(page: Any, live_server: Any, console: Console, people: dict[str, Any], persona: str) -> None:
    sign_in_as(page, people[persona])
    checked = []
    where = f"{persona} home"
    _page_is_clean(page, console, where)
    _every_control_can_be_reached(page, where)
    screenshot(page, f"journey-{persona}-home.png")

    entries = _nav_entries(page)
    assert entries, "the navigation is empty"
    for group, label in entries:
        where = f"{persona} {group + ' > ' if group else ''}{label}"
        page.goto("/")  # each page is reached from the home page's navigation
        _open(page, group, label)
        _page_is_clean(page, console, where)
        _every_control_can_be_reached(page, where)
        _filter_labels_on_one_line(page, where)
        screenshot(page, f"journey-{persona}-{_slug(label)}.png")
        checked.append(label)
    assert "Home" in checked and "Account" in checked


def test_a_covered_control_is_caught(page: Any, live_server: Any, people: dict[str, Any]) -> None:
    """The check above can fail: a box laid over the Sign out button is named, with what covers it."""
    sign_in_as(page, people["employee_emil"])
    page.evaluate(
        """() => {
          const button = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Sign out');
          const box = button.getBoundingClientRect();
          const cover = document.createElement('div');
          cover.id = 'cover';
          Object.assign(cover.style, {position: 'fixed', zIndex: 9999, background: 'red',
            left: box.left + 'px', top: box.top + 'px', width: box.width + 'px', height: box.height + 'px'});
          document.body.appendChild(cover);
        }"""
    )
    with pytest.raises(AssertionError, match=r"'Sign out': covered by <div id=\"cover\""):
        _every_control_can_be_reached(page, "covered")
