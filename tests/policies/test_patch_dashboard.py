"""The compliance dashboard's patch panel: compliance, overdue findings, the last full check, late assets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from policies.services.patch_check import run_patch_check
from tests.policies.conftest import DPKG, inventory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("governance:dashboard")


def test_the_dashboard_shows_patch_compliance_overdue_findings_and_the_late_assets(
    personas: Any, advisories: Any
) -> None:
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        inventory(DPKG, release="debian:12", asset="payroll-db")
        run_patch_check(actor=personas["it_ivan"], via="test")
    with time_machine.travel(start + timedelta(days=40), tick=False):  # past the 30 days of the high finding
        html = personas.client("officer_olga").get(DASHBOARD).content.decode()

    assert 'data-testid="dashboard-patches"' in html
    # Three findings: the high one (30 days) is overdue, the medium (90) and low (180) are not.
    assert 'data-testid="dashboard-patch-overdue">1</a>' in html
    assert 'data-testid="dashboard-patch-compliance">66.7%' in html
    assert "/patches/?overdue=yes" in html
    assert "1 Nov 2026 09:00" in html  # the last full check, in the pages' date format
    assert 'data-testid="dashboard-patch-late-assets"' in html and ">payroll-db</a>" in html


def test_before_any_check_the_panel_says_how_to_start(personas: Any) -> None:
    html = personas.client("it_ivan").get(DASHBOARD).content.decode()

    assert 'data-testid="dashboard-patch-compliance">100.0%' in html
    assert "Never. Upload an inventory" in html
    assert 'data-testid="dashboard-patch-late-assets"' not in html


def test_the_panel_is_only_for_those_who_read_findings(personas: Any) -> None:
    response = personas.client("owner_omar").get(DASHBOARD)

    assert response.status_code in (200, 403)
    assert b'data-testid="dashboard-patches"' not in response.content
