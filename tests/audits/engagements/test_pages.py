"""Evidence and engagement pages: uploads, downloads as attachments, the auditor's access in time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audits.models import Evidence, EvidenceRequest, LogEntry, PackBuild
from audits.packs import verify_pack
from core import signing
from jobs.scheduler import execute_run
from tests.audits.engagements.conftest import World, upload

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


def test_uploaded_html_is_served_as_an_attachment(world: World, personas: Any) -> None:
    client = personas.client("owner_omar")
    response = client.post(
        reverse("audits:evidence_upload"),
        {
            "title": "Page",
            "kind": "file",
            "file": upload("page.html", SCRIPT, "text/html"),
            "controls": [world.control.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    evidence = Evidence.objects.get(title="Page")
    assert evidence.size == len(SCRIPT)
    import hashlib

    assert evidence.sha256 == hashlib.sha256(SCRIPT).hexdigest()
    download = client.get(reverse("audits:evidence_download", kwargs={"pk": evidence.pk}))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == SCRIPT
    assert LogEntry.objects.filter(object_pk=str(evidence.pk), action=LogEntry.Action.ACCESS).exists()


def test_programs_and_oversized_files_are_refused_with_a_reason(world: World, personas: Any, settings: Any) -> None:
    client = personas.client("owner_omar")
    response = client.post(
        reverse("audits:evidence_upload"), {"title": "Tool", "kind": "file", "file": upload("tool.exe", b"MZ\x90\x00")}
    )
    assert response.status_code == 200
    assert "are programs and cannot be evidence" in response.content.decode()
    settings.RAMPART_EVIDENCE_MAX_BYTES = 10
    response = client.post(
        reverse("audits:evidence_upload"), {"title": "Big", "kind": "file", "file": upload("big.txt", b"x" * 11)}
    )
    assert "evidence files may be at most 10 bytes" in response.content.decode()
    assert not Evidence.objects.filter(title__in=["Tool", "Big"]).exists()


def test_a_new_version_keeps_the_old_one(world: World, personas: Any) -> None:
    client = personas.client("owner_omar")
    old = world.evidence
    response = client.post(
        reverse("audits:evidence_new_version", kwargs={"pk": old.pk}),
        {"title": old.title, "kind": "file", "file": upload("report.pdf", b"%PDF-1.4 second\n")},
    )
    assert response.status_code == 302
    new = Evidence.objects.get(series=old.series, version=2)
    old.refresh_from_db()
    assert new.is_current and not old.is_current
    assert new.file.name != old.file.name
    assert old.file.storage.open(old.file.name).read() == b"%PDF-1.4 evidence\n"
    assert list(new.controls.all()) == [world.control]


def test_auditor_pages_follow_the_period(world: World, personas: Any) -> None:
    client = personas.client("auditor_aude")
    detail = reverse("audits:engagement_detail", kwargs={"pk": world.engagement.pk})
    evidence = reverse("audits:evidence_detail", kwargs={"pk": world.evidence.pk})
    outside = reverse("audits:evidence_detail", kwargs={"pk": world.outside_evidence.pk})
    page = client.get(detail)
    assert page.status_code == 200
    assert "CTL-1" in page.content.decode() and "CTL-9" not in page.content.decode()
    trail = [entry.object_repr for entry in page.context["trail"]]
    assert "Review minutes (v1)" in trail and "Secret minutes (v1)" not in trail
    assert client.get(evidence).status_code == 200
    assert client.get(outside).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=11), tick=False):
        client = personas.client("auditor_aude")  # a fresh session: it is the engagement that ended
        assert client.get(detail).status_code == 403
        assert client.get(evidence).status_code == 403


def test_request_submit_accept_and_pack(
    world: World, personas: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    aude, omar = personas.client("auditor_aude"), personas.client("owner_omar")
    with django_capture_on_commit_callbacks(execute=True):
        response = aude.post(
            reverse("audits:request_create", kwargs={"pk": world.engagement.pk}),
            {"title": "Policy review minutes", "control": world.control.pk},
        )
    assert response.status_code == 302
    request = EvidenceRequest.objects.get(title="Policy review minutes")
    assert request.owner == personas["owner_omar"]
    assert [m.to for m in mail.outbox] == [[personas["owner_omar"].email]]
    url = reverse("audits:request_detail", kwargs={"pk": request.pk})
    assert aude.post(url, {"action": "review", "decision": "accepted"}).status_code == 403  # nothing submitted yet
    assert omar.post(url, {"action": "submit", "evidence": [world.evidence.pk]}).status_code == 302
    assert aude.post(url, {"action": "review", "decision": "accepted"}).status_code == 302
    request.refresh_from_db()
    assert request.status == EvidenceRequest.Status.ACCEPTED
    response = aude.post(reverse("audits:pack_request", kwargs={"pk": world.engagement.pk}))
    assert response.status_code == 302
    pack = PackBuild.objects.get(engagement=world.engagement)
    run = execute_run(pack.run)  # what the scheduler process does with a queued task
    assert run.status == "succeeded", run.error
    pack.refresh_from_db()
    assert pack.status == PackBuild.Status.DONE
    download = aude.get(reverse("audits:pack_download", kwargs={"pk": pack.pk}))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    path = tmp_path / "downloaded.zip"
    path.write_bytes(b"".join(download.streaming_content))
    assert verify_pack(path, signing.public_key_pem().encode()).ok
    assert LogEntry.objects.filter(
        object_pk=str(pack.pk), action=LogEntry.Action.ACCESS, actor=personas["auditor_aude"]
    ).exists()
    assert omar.get(reverse("audits:pack_download", kwargs={"pk": pack.pk})).status_code == 404


def test_home_lists_engagements_and_requests_waiting(world: World, personas: Any) -> None:
    from audits.engagements.services import create_request

    create_request(actor=personas["auditor_aude"], engagement=world.engagement, title="Minutes", control=world.control)
    auditor_home = personas.client("auditor_aude").get("/").content.decode()
    assert "Demo audit" in auditor_home
    owner_home = personas.client("owner_omar").get("/").content.decode()
    assert 'data-testid="home-evidence-requests"' in owner_home and "Minutes" in owner_home
    assert 'data-testid="home-evidence-requests"' not in personas.client("employee_emil").get("/").content.decode()


def test_expired_evidence_is_flagged(world: World, personas: Any) -> None:
    Evidence.objects.filter(pk=world.evidence.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    page = personas.client("auditor_aude").get(reverse("audits:engagement_detail", kwargs={"pk": world.engagement.pk}))
    assert 'data-testid="expired-evidence"' in page.content.decode()
    home = personas.client("owner_omar").get("/").content.decode()
    assert 'data-testid="home-expired-evidence"' in home
    listed = personas.client("owner_omar").get(reverse("audits:evidence_list") + "?expired=yes").content.decode()
    assert "Review minutes" in listed and "Secret minutes" not in listed
