"""A Compliance officer's journey in a real browser: import a framework, map a control,
record a passing test, and watch the coverage change; a Control owner's narrower view.

The import is queued: the upload page sends the officer to a progress page, which says
that no scheduler is running until the test starts one (``run_forever`` in a thread,
polling every second), then follows the run to the import report.

Screenshots of the dashboard (before and after), the Statement of Applicability and the
heat map are kept in ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from governance.models import Framework, Risk
from governance.services import risks as risk_services
from jobs import scheduler
from tests.conftest import make_persona
from tests.e2e.conftest import Console, ensure_default_matrix, open_governance, screenshot
from tests.e2e.test_sign_in_mfa import assert_page_is_styled_and_clean, sign_in
from tests.governance.controls.conftest import make_control

FRAMEWORK_YAML = """\
framework:
  key: journey-baseline
  name: Journey baseline
  version: "1.0"
  publisher: Rampart tests
requirements:
  - ref_id: JB
    title: Journey section
    children:
      - ref_id: JB-1
        title: Named accounts
        text: Every person signs in with an account of their own.
      - ref_id: JB-2
        title: Daily backups
        text: Back-office data is backed up every day.
      - ref_id: JB-3
        title: Patch within thirty days
"""


class SchedulerThread:
    """``manage.py runscheduler``'s loop in a thread of the test process, started on demand."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="test-scheduler", daemon=True)

    def _run(self) -> None:
        try:
            scheduler.run_forever(self.stop, echo=lambda message: None)
        finally:
            connection.close()

    def start(self) -> None:
        self.thread.start()

    def shut_down(self) -> None:
        if self.thread.is_alive():
            self.stop.set()
            self.thread.join(timeout=60)
        gc.collect()  # the pool threads are gone; collect their database connections (closing them)


@pytest.fixture
def scheduler_thread(settings: Any) -> Iterator[SchedulerThread]:
    settings.SCHEDULER_POLL_SECONDS = 1
    running = SchedulerThread()
    try:
        yield running
    finally:
        running.shut_down()


def _assert_navbar_on_one_line(page: Any) -> None:
    box = page.locator("nav.navbar").bounding_box()
    assert box is not None
    assert box["height"] < 64, f"the navbar wraps: {box['height']}px high"


def _coverage_row(page: Any) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name="Journey baseline"))


def test_officer_imports_maps_tests_and_sees_coverage_change(
    page: Any, live_server: Any, console: Console, tmp_path: Path, scheduler_thread: SchedulerThread
) -> None:
    olga = make_persona("officer_olga")
    sign_in(page, olga.email)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("[data-testid=signed-in-as]")).to_have_text(olga.email)

    # Import a framework file through the upload page.
    framework_file = tmp_path / "journey-baseline.yaml"
    framework_file.write_text(FRAMEWORK_YAML, encoding="utf-8")
    page.goto(reverse("governance:framework_list"))
    page.get_by_role("link", name="Import a framework").click()
    expect(page.get_by_role("heading", name="Import a framework")).to_be_visible()
    page.get_by_label("Framework file").set_input_files(str(framework_file))
    page.get_by_role("button", name="Import").click()
    # Queued: the progress page waits, and soon says why nothing happens yet.
    page.wait_for_url(re.compile(r"/jobs/runs/\d+/progress/$"))
    expect(page.get_by_role("heading", name="Framework import")).to_be_visible()
    expect(page.get_by_test_id("run-status")).to_have_text("Queued")
    expect(page.get_by_test_id("scheduler-missing")).to_contain_text("The scheduler is not running", timeout=15_000)
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-import-waiting.png")
    # A scheduler starts; the same page follows the run to its report, without a reload.
    scheduler_thread.start()
    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("Imported Journey baseline 1.0 (journey-baseline)", timeout=30_000)
    expect(report).to_contain_text("4 created")
    expect(page.get_by_test_id("scheduler-missing")).to_have_count(0)
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-import-done.png")
    report.get_by_role("link", name="Open Journey baseline").click()
    expect(page.get_by_role("heading", name=re.compile("Journey baseline"))).to_be_visible()

    # Coverage before: three applicable requirements, none covered.
    open_governance(page, "Compliance")
    expect(page.get_by_role("heading", name="Coverage per framework")).to_be_visible()
    _assert_navbar_on_one_line(page)
    expect(_coverage_row(page)).to_contain_text("0%")
    expect(_coverage_row(page)).to_contain_text("0 of 3")
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-dashboard-before.png")

    # A new control, mapped to JB-2 through the picker's search, implemented.
    page.goto(reverse("governance:control_list"))
    page.get_by_role("link", name="New control").click()
    page.get_by_label("Reference").fill("CTL-JOURNEY")
    page.get_by_label("Title").fill("Nightly backup of the file server")
    page.get_by_label("Status").select_option(label="Implemented")
    page.get_by_label("Requirements met").fill("backups")
    page.get_by_label("Requirements met").press("Enter")  # searches; does not submit the form
    tick = page.get_by_label(re.compile(r"Journey baseline: JB-2 Daily backups"))
    expect(tick).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(1)
    expect(page.get_by_role("heading", name="New control")).to_be_visible()
    tick.check()
    page.get_by_label("Requirements met").fill("JB-")  # a new search keeps the ticked one
    expect(page.get_by_role("checkbox")).to_have_count(3)
    expect(page.get_by_label(re.compile("JB-2 Daily backups"))).to_be_checked()
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-control-form.png")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Control CTL-JOURNEY is created.")
    expect(page.get_by_role("main")).to_contain_text("JB-2")

    # A passing test, on the record-test page.
    page.get_by_role("link", name="Record a test").first.click()
    expect(page.get_by_role("heading", name=re.compile("Record a test of CTL-JOURNEY"))).to_be_visible()
    page.get_by_label("Result").select_option(label="Pass")
    page.get_by_label("Notes").fill("Restored last night's backup to a scratch server.")
    page.get_by_role("button", name="Record the test").click()
    expect(page.get_by_role("alert")).to_contain_text("The pass test of CTL-JOURNEY is recorded.")
    assert_page_is_styled_and_clean(page, console)

    # Coverage after: one of three.
    open_governance(page, "Compliance")
    expect(_coverage_row(page)).to_contain_text("33%")
    expect(_coverage_row(page)).to_contain_text("1 of 3")
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-dashboard-after.png")

    # The Statement of Applicability shows JB-2 covered, the others not.
    _coverage_row(page).get_by_role("link", name="Journey baseline").click()
    expect(page.get_by_role("heading", name="Statement of Applicability")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("JB-2"))).to_contain_text("Covered")
    expect(page.get_by_role("row", name=re.compile("JB-2"))).to_contain_text("CTL-JOURNEY")
    expect(page.get_by_role("row", name=re.compile("JB-1"))).to_contain_text("Not covered")
    expect(page.get_by_text("1 of 3 applicable requirements covered")).to_be_visible()
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-soa.png")

    # The framework's own pages link to the statement too.
    framework = Framework.objects.get(key="journey-baseline")
    page.goto(reverse("governance:framework_detail", args=[framework.pk]))
    page.get_by_role("link", name="Statement of Applicability").click()
    expect(page.get_by_role("heading", name="Statement of Applicability")).to_be_visible()
    page.goto(reverse("governance:framework_list"))
    page.get_by_role("link", name="Statement of Applicability of Journey baseline").click()
    expect(page.get_by_role("heading", name="Statement of Applicability")).to_be_visible()
    # No console error at all on the way (a missing favicon would be one).
    assert [m for m in console.messages if m.startswith("error")] == [], console.messages


def _risk(actor: Any, ref: str, owner: Any, likelihood: int, impact: int) -> Risk:
    data = risk_services.RiskData(
        ref=ref,
        title=f"Risk {ref}",
        owner=owner,
        inherent_likelihood=likelihood,
        inherent_impact=impact,
        residual_likelihood=1,
        residual_impact=1,
    )
    return risk_services.create_risk(actor=actor, data=data)


def test_owner_sees_own_controls_and_a_coloured_heat_map(page: Any, live_server: Any, console: Console) -> None:
    olga = make_persona("officer_olga")
    omar = make_persona("owner_omar")
    mine = make_control(olga, "CTL-OMARS", owner=omar)
    theirs = make_control(olga, "CTL-OLGAS", owner=olga)
    ensure_default_matrix()
    _risk(olga, "RSK-O1", omar, 4, 5)
    _risk(olga, "RSK-O2", omar, 4, 5)
    _risk(olga, "RSK-O3", omar, 1, 2)
    _risk(olga, "RSK-OLGA", olga, 4, 5)  # not Omar's: neither counted nor listed

    sign_in(page, omar.email)
    page.wait_for_url(f"{live_server.url}/")

    open_governance(page, "Controls")
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name="CTL-OMARS")).to_be_visible()
    expect(page.get_by_text("CTL-OLGAS")).to_have_count(0)
    expect(page.get_by_text("1 result", exact=True)).to_be_visible()
    assert_page_is_styled_and_clean(page, console)

    theirs_url = reverse("governance:control_detail", args=[theirs.pk])
    response = page.goto(theirs_url)
    assert response is not None
    assert response.status in (403, 404)
    expect(page.get_by_text("CTL-OLGAS")).to_have_count(0)
    response = page.goto(reverse("governance:control_detail", args=[mine.pk]))
    assert response is not None
    assert response.status == 200

    page.goto(reverse("governance:risk_heatmap"))
    expect(page.get_by_role("heading", name="Risk heat map")).to_be_visible()
    heat = page.get_by_test_id("heat-map")
    cells = heat.locator("td.heat-cell")
    expect(cells).to_have_count(25)
    colours = set()
    for band in range(4):  # Low, Medium, High, Critical in the default matrix
        cell = heat.locator(f"td.heat-cell.heat-band-{band}").first
        colour = cell.evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), f"band {band}: {colour}"
        colours.add(colour)
    assert len(colours) == 4, colours
    assert_page_is_styled_and_clean(page, console)
    screenshot(page, "journey-heatmap-owner.png")
    # The only refusal, and so the only console error, is the other owner's control above
    # (the browser logs it asynchronously, so it is accounted for here rather than cleared).
    assert [r for r in console.refused if not r.endswith(theirs_url)] == [], console.refused
    errors = [m for m in console.messages if m.startswith("error")]
    assert all("Failed to load resource" in m for m in errors) and len(errors) <= 1, errors

    busy = heat.locator("td.heat-cell:not(.heat-empty) a").filter(has_text=re.compile(r"^2$"))
    expect(busy).to_have_count(1)
    busy.click()
    page.wait_for_url(re.compile(r"/governance/risks/\?"))
    expect(page.get_by_text("2 results", exact=True)).to_be_visible()
    listed = page.get_by_role("table").get_by_role("link", name=re.compile(r"^RSK-"))
    expect(listed).to_have_count(2)
    expect(page.get_by_text("RSK-OLGA")).to_have_count(0)
    expect(page.get_by_text("RSK-O3")).to_have_count(0)
    assert_page_is_styled_and_clean(page, console)
