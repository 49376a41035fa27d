"""An IT administrator's backup journey in a real browser: create a plan, run it now, follow the
run to its set and the set's verification, and find the last restore drill on the backups page
and on the compliance dashboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from backups.age import X25519Identity
from backups.models import BackupPlan, BackupRecipient, BackupSet, RestoreDrill
from jobs import scheduler
from tests.conftest import make_persona
from tests.e2e.conftest import Console, open_governance, screenshot, sign_in_as
from tests.e2e.test_governance_journey import SchedulerThread
from tests.e2e.test_sign_in_mfa import assert_page_is_styled_and_clean


@pytest.fixture
def backup_folders(settings: Any, tmp_path: Path) -> X25519Identity:
    """Backups, restores and stored files in a temporary folder; a key pair whose public half is a recipient."""
    settings.RAMPART_BACKUP_DIR = str(tmp_path / "backups")
    settings.RAMPART_BACKUP_WORK_DIR = str(tmp_path / "work")
    settings.RAMPART_RESTORE_DIR = str(tmp_path / "restore")
    storages = dict(settings.STORAGES)
    for alias in ("default", "evidence"):
        folder = tmp_path / alias
        folder.mkdir()
        storages[alias] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        }
    settings.STORAGES = storages
    (tmp_path / "default" / "invoice.pdf").write_bytes(b"%PDF-1.7 invoice")
    identity = X25519Identity.generate()
    key_file = tmp_path / "drill-key.txt"
    key_file.write_text(identity.identity_file())
    settings.RAMPART_DRILL_IDENTITY_FILE = str(key_file)
    return identity


@pytest.fixture
def scheduler_thread(settings: Any) -> Iterator[SchedulerThread]:
    settings.SCHEDULER_POLL_SECONDS = 1
    running = SchedulerThread()
    try:
        yield running
    finally:
        running.shut_down()


def test_it_administrator_creates_a_plan_runs_it_and_sees_verification_and_the_drill(
    page: Any, live_server: Any, console: Console, backup_folders: X25519Identity, scheduler_thread: SchedulerThread
) -> None:
    BackupRecipient.objects.create(name="Offline laptop", public_key=str(backup_folders.recipient))
    ivan = make_persona("it_ivan")
    sign_in_as(page, ivan)

    page.get_by_role("link", name="Backups", exact=True).click()
    expect(page.get_by_role("heading", name="Backups", exact=True)).to_be_visible()
    expect(page.get_by_test_id("empty-state")).to_contain_text("No backup plan yet")
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Name").fill("Nightly")
    page.get_by_label("What to back up").select_option("both")
    page.get_by_label("Schedule (cron, UTC)").fill("not a schedule")
    page.get_by_label("Offline laptop").check()
    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#id_cron_error")).to_contain_text("is not valid")  # the form says what is wrong
    page.get_by_label("Schedule (cron, UTC)").fill("30 2 * * *")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("heading", name="Nightly")).to_be_visible()
    assert_page_is_styled_and_clean(page, console)
    plan = BackupPlan.objects.get(name="Nightly")
    assert [r.name for r in plan.recipients.all()] == ["Offline laptop"]

    page.get_by_role("button", name="Run now").click()
    page.wait_for_url(re.compile(r"/jobs/runs/\d+/progress/$"))
    expect(page.get_by_role("heading", name="Backup now")).to_be_visible()
    scheduler_thread.start()
    result = page.get_by_test_id("backup-result")
    expect(result).to_contain_text("verified", timeout=60_000)
    screenshot(page, "backup-journey-run.png")
    result.get_by_role("link", name=re.compile("Open set")).click()
    made = BackupSet.objects.get(plan=plan)
    expect(page.get_by_role("heading", name=re.compile(made.set_id))).to_be_visible()
    verification = page.get_by_test_id("set-verification")
    expect(verification).to_contain_text("OK")
    expect(verification).to_contain_text("sizes, hashes and signature")
    expect(page.get_by_role("cell", name="files.tar.zst.age")).to_be_visible()
    assert_page_is_styled_and_clean(page, console)

    drill_run = scheduler.run_job_now("backups.restore_drill")
    assert drill_run.status == "succeeded", drill_run.error
    assert RestoreDrill.objects.get().result == RestoreDrill.Result.PASSED
    page.goto(reverse("backups:overview"))
    last_drill = page.get_by_test_id("backups-last-drill")
    expect(last_drill).to_contain_text("Passed")
    expect(last_drill).to_contain_text(made.set_id)
    expect(page.get_by_test_id(f"plan-{plan.pk}")).to_contain_text("Verified")
    screenshot(page, "backup-journey-overview.png")
    assert_page_is_styled_and_clean(page, console)

    open_governance(page, "Compliance")  # the compliance dashboard shows the last drill too
    panel = page.get_by_test_id("dashboard-backups")
    expect(panel.get_by_test_id("backups-last-drill")).to_contain_text("Passed")
    expect(panel.get_by_test_id("backups-failed")).to_contain_text("Every backup of the last 7 days completed")
    assert_page_is_styled_and_clean(page, console)
