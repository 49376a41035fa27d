"""Pages and API of access reviews over HTTP: import, findings, campaigns, decisions; fixed query counts."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from access.services import create_api_token
from reviews.models import ReviewItem, SystemAccount, SystemAccountImport
from reviews.services.campaigns import CampaignScope, start_review_campaign
from tests.reviews.conftest import snapshot

CSV = "account,email,entitlements,last_sign_in,status\nemil,employee_emil@example.test,read,,active\n"


def test_upload_page_imports_and_reports_bad_rows(personas):
    client = personas.client("it_ivan")
    upload = SimpleUploadedFile("a.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("reviews:import"), {"system": "HR", "file": upload})
    assert response.status_code == 302
    assert SystemAccount.objects.get().user == personas["employee_emil"]
    bad = SimpleUploadedFile("b.csv", b"account,email,entitlements,last_sign_in,status\nx,,,,gone\n")
    response = client.post(reverse("reviews:import"), {"system": "HR", "file": bad})
    assert response.status_code == 400
    assert "line 2, column status: gone is not active or disabled" in response.content.decode()
    assert SystemAccountImport.objects.count() == 1


def test_api_push_with_a_token(personas):
    _, raw = create_api_token(user=personas["it_ivan"], name="payments sync")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    from django.test import Client

    body = {
        "system": "Payments",
        "accounts": [{"account": "a", "email": "A@x.test", "entitlements": ["r"], "status": "active"}],
    }
    response = Client().post(
        reverse("system-account-push"), data=json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content
    assert response.json()["imported"] == 1
    body["accounts"].append({"account": "b", "status": "nope"})
    response = Client().post(
        reverse("system-account-push"), data=json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["row 2, column status: nope is not active or disabled"]
    assert SystemAccountImport.objects.count() == 1


def test_account_list_filters_findings_with_fixed_queries(personas):
    client = personas.client("officer_olga")
    snapshot("CRM", [("ghost", "ghost@x.test", ["r"], None, "active")])
    url = reverse("reviews:account_list") + "?finding=orphan"
    client.get(url)  # warm caches (permissions, session)
    one = _count(client, url)
    snapshot("CRM", [(f"ghost{i}", f"g{i}@x.test", ["r"], None, "active") for i in range(60)])
    assert _count(client, url) == one
    response = client.get(url)
    assert "ghost1" in response.content.decode()
    assert client.get(reverse("reviews:account_list") + "?finding=bogus").status_code == 200  # a form error


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_campaign_page_costs_the_same_with_1_or_60_lines(personas):
    client = personas.client("it_ivan")
    due = timezone.localdate() + timedelta(days=5)

    def campaign(n):
        snap = snapshot(f"S{n}", [(f"a{i}", f"a{i}@x.test", ["r"], None, "active") for i in range(n)])
        scope = CampaignScope(f"C{n}", (snap.asset,), False, (), personas["admin_alice"], due)
        return start_review_campaign(actor=personas["it_ivan"], scope=scope)

    small, big = campaign(1), campaign(60)
    url = lambda c: reverse("reviews:campaign_detail", kwargs={"pk": c.pk})  # noqa: E731
    client.get(url(small))
    assert _count(client, url(small)) == _count(client, url(big))


def test_reviewer_revokes_on_my_reviews_and_evidence_appears(personas):
    snap = snapshot("HR", [("emil", "employee_emil@example.test", ["payroll"], None, "active")])
    scope = CampaignScope("HR review", (snap.asset,), False, (), personas["owner_omar"], timezone.localdate())
    campaign = start_review_campaign(actor=personas["it_ivan"], scope=scope)
    omar = personas.client("owner_omar")
    page = omar.get(reverse("reviews:my_reviews")).content.decode()
    assert "emil" in page
    line = campaign.items.get()
    response = omar.post(
        reverse("reviews:item_decide", kwargs={"pk": line.pk}), {"decision": "revoked", "comment": "Left"}
    )
    assert response.status_code == 302
    assert ReviewItem.objects.get().decision == "revoked"
    assert omar.get(reverse("reviews:campaign_detail", kwargs={"pk": campaign.pk})).status_code == 403
    ivan = personas.client("it_ivan")
    ivan.post(reverse("reviews:campaign_complete", kwargs={"pk": campaign.pk}))
    evidence = ivan.get(reverse("reviews:campaign_evidence", kwargs={"pk": campaign.pk}))
    assert evidence.status_code == 200 and evidence["X-Rampart-Signature"]
    assert (
        b"HR review,HR,emil,employee_emil@example.test,payroll,owner_omar@example.test,revoked,Left" in evidence.content
    )


def test_emil_sees_no_reviews_of_his_own(personas):
    snap = snapshot("HR", [("emil", "employee_emil@example.test", ["payroll"], None, "active")])
    scope = CampaignScope("HR review", (snap.asset,), False, (), personas["employee_emil"], timezone.localdate())
    start_review_campaign(actor=personas["it_ivan"], scope=scope)
    page = personas.client("employee_emil").get(reverse("reviews:my_reviews")).content.decode()
    assert "Nothing to review for you" in page


def test_who_can_access_a_person_and_an_object(personas):
    from guardian.shortcuts import assign_perm

    from governance.models import Control

    omar = personas["owner_omar"]
    controls = [Control.objects.create(ref=f"C-{i}", title=f"Control {i}") for i in range(60)]
    assign_perm("governance.change_control", omar, controls[0])
    snapshot("HR", [("omar", omar.email, ["payroll"], None, "active")])
    client = personas.client("officer_olga")
    person_url = reverse("reviews:person_access", kwargs={"pk": omar.pk})
    page = client.get(person_url).content.decode()
    assert "change_control on C-0" in page or "change_control on Control 0" in page
    assert "payroll" in page and "Control owner" in page
    one = _count(client, person_url)
    for control in controls[1:]:
        assign_perm("governance.view_control", omar, control)
    assert _count(client, person_url) == one
    object_url = reverse("reviews:object_access", kwargs={"kind": "control", "pk": controls[0].pk})
    page = client.get(object_url).content.decode()
    assert "owner_omar@example.test" in page and "change_control" in page
    assert "officer_olga@example.test" in page  # through her role
    assert "employee_emil@example.test" not in page
    assert client.get(reverse("reviews:object_access", kwargs={"kind": "user", "pk": 1})).status_code == 404


def test_campaign_page_shows_each_lines_reviewer_decision_and_removal(personas):
    snap = snapshot(
        "HR", [("emil", "employee_emil@example.test", ["payroll"], None, "active"), ("zed", "", [], None, "active")]
    )
    scope = CampaignScope("HR review", (snap.asset,), False, (), personas["owner_omar"], timezone.localdate())
    campaign = start_review_campaign(actor=personas["it_ivan"], scope=scope)
    line = campaign.items.get(account_name="emil")
    personas.client("owner_omar").post(
        reverse("reviews:item_decide", kwargs={"pk": line.pk}), {"decision": "revoked", "comment": "Left"}
    )
    page = personas.client("it_ivan").get(reverse("reviews:campaign_detail", kwargs={"pk": campaign.pk}))
    rows = [r for r in page.content.decode().split("<tr>") if "<td>HR</td>" in r]
    assert rows[0].startswith(
        "<td>HR</td><td>emil</td><td>payroll</td><td>Omar Owner</td><td>Revoked</td><td>Left</td><td>Open</td>"
    )
    assert rows[1].startswith("<td>HR</td><td>zed</td><td></td><td>Omar Owner</td><td>Pending</td><td></td><td></td>")
    progress = page.context["progress"]
    assert [(p["reviewer__email"], p["total"], p["decided"], p["pending"]) for p in progress] == [
        ("owner_omar@example.test", 2, 1, 1)
    ]
