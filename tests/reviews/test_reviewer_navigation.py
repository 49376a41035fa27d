"""Anyone named reviewer finds their lines: from the navigation, and on the home page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import formats, timezone

from reviews.services.campaigns import CampaignScope, decide_review_item, open_campaign
from tests.reviews.conftest import snapshot


def _campaign(personas: Any, reviewer: str) -> Any:
    snap = snapshot(
        "Ledger",
        [
            ("olga", "officer_olga@example.test", ["post entries"], None, "active"),
            ("ghost", "ghost@nowhere.test", ["read"], None, "active"),
        ],
    )
    scope = CampaignScope(
        name="Ledger review",
        systems=(snap.asset,),
        include_rampart=False,
        entitlements=(),
        reviewer=personas[reviewer],
        due_on=timezone.localdate() + timedelta(days=5),
    )
    return open_campaign(starter=personas["it_ivan"], scope=scope)


def test_an_employee_named_reviewer_finds_the_lines_from_the_menu_and_home(personas: Any) -> None:
    campaign = _campaign(personas, "employee_emil")
    client = personas.client("employee_emil")
    home = client.get(reverse("home"))
    page = home.content.decode()
    assert f'href="{reverse("reviews:my_reviews")}"' in page  # in the navigation and in the panel
    panel = page.split('data-testid="home-reviews"')[1].split("</section>")[0]
    assert "2 lines to decide" in panel
    assert f"Ledger review: 2 to decide, due {formats.date_format(campaign.due_on)}" in panel
    nav = [child["label"] for item in home.context["nav_items"] for child in item.get("children", [item])]
    assert "My reviews" in nav and "Access requests" in nav
    lines = client.get(reverse("reviews:my_reviews")).content.decode()
    assert lines.count('data-testid="review-line"') == 2

    for item in campaign.items.all():
        decide_review_item(actor=personas["employee_emil"], item=item, decision="certified", comment="Needed")
    assert 'data-testid="home-reviews"' not in client.get(reverse("home")).content.decode()


def test_no_panel_for_people_who_review_nothing(personas: Any) -> None:
    _campaign(personas, "employee_emil")
    page = personas.client("owner_omar").get(reverse("home")).content.decode()
    assert 'data-testid="home-reviews"' not in page
    assert f'href="{reverse("reviews:my_reviews")}"' in page  # the menu entry is there for anyone
