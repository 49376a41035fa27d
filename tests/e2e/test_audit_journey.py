"""An audit in a real browser: request, submit, accept, pack, verify.

Aude (Auditor) requests evidence for a control in scope of her engagement; Omar (Control owner)
uploads a file and submits it; Aude accepts it, builds the evidence pack, downloads it, and
the pack verifies against the instance's public key.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from playwright.sync_api import expect

from audits.engagements.services import create_engagement
from audits.models import EvidenceRequest, PackBuild
from audits.packs import verify_pack
from core import signing
from governance.models import Control, Framework, Requirement
from governance.scoping import hand_over_object_perms
from governance.selectors.pickers import control_label
from jobs.scheduler import execute_run
from tests.conftest import make_persona
from tests.e2e.conftest import Console, screenshot, sign_in_as


def test_auditor_requests_owner_submits_auditor_accepts_and_verifies_the_pack(
    page: Any, browser: Any, live_server: Any, console: Console, tmp_path: Path
) -> None:
    olga, omar, aude = make_persona("officer_olga"), make_persona("owner_omar"), make_persona("auditor_aude")
    framework = Framework.objects.create(key="iso27001", name="ISO 27001")
    requirement = Requirement.objects.create(framework=framework, ref_id="A.5.15", title="Access control")
    control = Control.objects.create(ref="CTL-AC", title="Quarterly access review", owner=omar)
    hand_over_object_perms(obj=control, previous=None, new=omar)
    control.requirements.add(requirement)
    today = timezone.localdate()
    engagement = create_engagement(
        actor=olga,
        name="Demo audit",
        start=today - timedelta(days=5),
        end=today + timedelta(days=25),
        frameworks=[framework],
        auditors=[aude],
    )

    # 1. Aude asks for evidence on the control.
    sign_in_as(page, aude)
    page.get_by_role("link", name="Demo audit").click()
    expect(page.get_by_role("heading", name="Demo audit")).to_be_visible()
    page.get_by_test_id("new-request").click()
    page.get_by_label("Title").fill("Last access review")
    page.get_by_label("Control").select_option(label=str(control))
    page.get_by_role("button", name="Request").click()
    expect(page.get_by_test_id("request-status")).to_have_text("Open")
    request_url = page.url

    # 2. Omar sees it on his home page, uploads the file and submits it.
    owner = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    omar_page = owner.new_page()
    try:
        sign_in_as(omar_page, omar)
        omar_page.get_by_test_id("home-evidence-requests").get_by_role("link", name="Last access review").click()
        omar_page.get_by_role("link", name="add the evidence").click()
        omar_page.get_by_label("Title").fill("Access review Q3")
        omar_page.get_by_label("File", exact=True).set_input_files(
            {"name": "review.csv", "mimeType": "text/csv", "buffer": b"account,decision\nemil,keep\n"}
        )
        omar_page.get_by_label("Controls").fill(control.ref)  # the type-ahead picker, then tick the control
        omar_page.get_by_role("checkbox", name=control_label(control)).check()
        omar_page.get_by_role("button", name="Save").click()
        expect(omar_page.get_by_text("Saved Access review Q3 (v1).")).to_be_visible()
        omar_page.goto(request_url)
        omar_page.locator("select[name=evidence]").select_option(label="Access review Q3 (v1)")
        omar_page.get_by_role("button", name="Submit").click()
        expect(omar_page.get_by_test_id("request-status")).to_have_text("Submitted")
    finally:
        owner.close()

    # 3. Aude accepts it and builds the pack.
    page.goto(request_url)
    page.get_by_label("Decision").select_option(label="Accept")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("request-status")).to_have_text("Accepted")
    assert EvidenceRequest.objects.get().status == EvidenceRequest.Status.ACCEPTED
    page.goto(f"/audits/{engagement.pk}/")
    page.get_by_test_id("build-pack").click()
    expect(page.get_by_test_id("task-progress")).to_be_visible()
    pack = PackBuild.objects.get()
    assert pack.run is not None
    run = execute_run(pack.run)  # the scheduler process's part
    assert run.status == "succeeded", run.error
    expect(page.get_by_test_id("task-result")).to_be_visible(timeout=10_000)

    # 4. She downloads it; it verifies with the instance's public key.
    page.goto(f"/audits/{engagement.pk}/")
    with page.expect_download() as download:
        page.get_by_test_id("download-pack").click()
    saved = tmp_path / "pack.zip"
    download.value.save_as(saved)
    report = verify_pack(saved, signing.public_key_pem().encode())
    assert report.ok, report.summary()
    screenshot(page, "audit-journey-pack.png")
    assert console.mentioning("Content Security Policy") == [], "\n".join(console.messages)
