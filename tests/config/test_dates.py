"""One readable date format in pages ("7 Dec 2026", "7 Dec 2026 14:05"); ISO 8601 in CSV and API.

Templates use the formats of ``config/formats/en/formats.py`` (``|date`` and
``|date:"DATETIME_FORMAT"``); a template with a format of its own fails here. Machine
formats stay ISO: the ``datetime`` attribute of ``<time>``, CSV files, the API.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.actor import acting
from governance.models import Control

BASE = Path(settings.BASE_DIR)
# Formats a template may name: the shared ones, ISO for machines ("c"), the zone ("T").
ALLOWED = {"DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT", "c", "T"}
DATE_FILTER = re.compile(r"""\|\s*date:\s*["']([^"']*)["']""")


def _templates() -> list[Path]:
    return [p for app in [*settings.RAMPART_APPS, "config"] for p in (BASE / app).glob("templates/**/*.html")]


def test_no_template_has_a_date_format_of_its_own() -> None:
    found = {
        f"{path.relative_to(BASE)}: {fmt}"
        for path in _templates()
        for fmt in DATE_FILTER.findall(path.read_text())
        if fmt not in ALLOWED
    }
    assert not found, 'Use |date or |date:"DATETIME_FORMAT" instead:\n' + "\n".join(sorted(found))


@time_machine.travel(dt.datetime(2026, 12, 7, 14, 5, tzinfo=dt.UTC), tick=False)
def test_pages_show_the_readable_format(personas: Any) -> None:
    emil = personas["employee_emil"]
    # The personas are made before the clock is set: give Emil the day the page should show.
    emil.date_joined = timezone.now()
    emil.save(update_fields=["date_joined"])
    html = personas.client("admin_alice").get(reverse("access:user_detail", args=[emil.pk])).content.decode()
    assert "7 Dec 2026" in html
    assert "2026-12-07" not in html.split("<main")[1]
    with acting(personas["officer_olga"], via="test"):
        control = Control.objects.create(
            ref="CTL-DATE", title="Dated", status="implemented", next_test_due=dt.date(2027, 1, 31)
        )
    page = personas.client("officer_olga").get(reverse("governance:control_detail", args=[control.pk]))
    assert "31 Jan 2027" in page.content.decode()


@time_machine.travel(dt.datetime(2026, 12, 7, 14, 5, tzinfo=dt.UTC), tick=False)
def test_csv_and_api_keep_iso_8601(personas: Any) -> None:
    client = personas.client("admin_alice")
    response = client.get(reverse("audits:trail_export"))
    text = b"".join(response.streaming_content).decode()
    assert re.search(r",2026-12-07T14:05:00(\.\d+)?\+00:00,", text)
    me = client.get("/api/v1/users/", {"search": "employee_emil"}).json()
    joined = me["results"][0]["date_joined"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", joined), joined
    assert timezone.is_aware(dt.datetime.fromisoformat(joined))
