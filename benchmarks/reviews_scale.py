"""Access reviews at scale: importing 10,000 accounts, a campaign page and the who-can-access page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rampart_bench_reviews \
        .venv/bin/python benchmarks/reviews_scale.py [--requests 40]

The database named by ``DATABASE_URL`` (PostgreSQL by default, as above) is recreated and
migrated. Then:

1. 50 systems of 200 accounts (10,000 accounts) are imported with ``write_snapshot``, and one
   system of 10,000 accounts is imported through ``import_accounts`` from a CSV file (parse,
   validation, matching by email, entitlement rows), timed;
2. one campaign over the 50 systems is started (10,000 lines; timed), and its page
   (``/reviews/campaigns/<id>/``, 100 lines a page) is requested ``--requests`` times;
3. one person holds 10,000 object permissions (5,000 controls x view/change, guardian's direct
   foreign-key table) and 50 imported accounts; their who-can-access page is requested
   ``--requests`` times;
4. the access report (orphans, leavers, dormant, SoD) is computed once, timed.

Prints p50/p95 and the number of queries of each page, as a Markdown section for
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rampart_bench_reviews"


def _prepare() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("RAMPART_ALLOWED_HOSTS", "testserver")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[-1]
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    # Pages render without a collected static manifest (the figures are of the views, not whitenoise).
    settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"


def _timed(client: Any, url: str, n: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    _prepare()
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from guardian.shortcuts import get_perms_for_model

    from access.models import User
    from governance.models import Control, ControlUserObjectPermission
    from reviews.services.campaigns import CampaignScope, start_review_campaign
    from reviews.services.imports import AccountRow, import_accounts, write_snapshot
    from tests.conftest import login, make_persona

    ivan = make_persona("it_ivan")
    omar = make_persona("owner_omar")
    people = User.objects.bulk_create(
        [User(email=f"person{i}@example.test", full_name=f"Person {i}") for i in range(2000)]
    )
    today = timezone.localdate()
    assets = []
    for s in range(50):
        rows = [
            AccountRow(
                f"acct{s}-{i}",
                f"person{(s * 200 + i) % 2500}@example.test",
                ("read", "create payment" if i % 7 == 0 else "approve payment"),
                today - timedelta(days=i % 200) if i % 11 else None,
                "active" if i % 13 else "disabled",
            )
            for i in range(200)
        ]
        assets.append(write_snapshot(system=f"System {s:02d}", rows=rows, actor=None, source="command").asset)
        if s == 0:
            rows[0] = AccountRow("omar", omar.email, ("read",), today, "active")
    write_snapshot(
        system="System 00",
        rows=[
            AccountRow("omar", omar.email, ("read",), today, "active"),
            *[AccountRow(f"acct0-{i}", f"person{i}@example.test", ("read",), today, "active") for i in range(1, 200)],
        ],
        actor=None,
        source="command",
    )

    lines = ["account,email,entitlements,last_sign_in,status"]
    lines += [
        f"big{i},person{i % 2500}@example.test,read;write;export,{(today - timedelta(days=i % 300)).isoformat()},active"
        for i in range(10_000)
    ]
    data = ("\n".join(lines) + "\n").encode()
    import_times = []
    for _ in range(3):
        start = time.perf_counter()
        import_accounts(actor=ivan, system="Big system", data=data, file_name="big.csv")
        import_times.append(time.perf_counter() - start)

    start = time.perf_counter()
    scope = CampaignScope("Scale review", tuple(assets), False, (), None, today + timedelta(days=30))
    campaign = start_review_campaign(actor=ivan, scope=scope)
    campaign_seconds = time.perf_counter() - start

    controls = Control.objects.bulk_create([Control(ref=f"B-{i}", title=f"Control {i}") for i in range(5000)])
    perms = [p for p in get_perms_for_model(Control) if p.codename in ("view_control", "change_control")]
    ControlUserObjectPermission.objects.bulk_create(
        [ControlUserObjectPermission(user=omar, permission=p, content_object=c) for c in controls for p in perms],
        batch_size=5000,
    )
    held = ControlUserObjectPermission.objects.filter(user=omar).count()

    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum does after a bulk load: the planner sees the real sizes
    client = login(Client(), ivan)
    campaign_page = _timed(client, reverse("reviews:campaign_detail", kwargs={"pk": campaign.pk}), args.requests)
    person_page = _timed(client, reverse("reviews:person_access", kwargs={"pk": omar.pk}), args.requests)
    dashboard = _timed(client, reverse("reviews:dashboard"), max(5, args.requests // 4))

    from reviews.report import access_report

    start = time.perf_counter()
    report = access_report()
    report_seconds = time.perf_counter() - start

    cpus = os.cpu_count()
    engine = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · access reviews at scale ({engine}, {cpus} cores)")
    print()
    print(f"Python {platform.python_version()}; `benchmarks/reviews_scale.py --requests {args.requests}`; ")
    print(f"{len(people)} people, 50 systems x 200 accounts + one system of 10,000;")
    print(f"{held} object permissions held by one person.")
    print()
    print("| measure | result | target |")
    print("| --- | --- | --- |")
    best, worst = min(import_times), max(import_times)
    print(
        f"| import 10,000 accounts (CSV: validated, matched; best / worst of 3) | {best:.2f} / {worst:.2f} s | < 5 s |"
    )
    print(f"| start a campaign of {campaign.items.count()} lines | {campaign_seconds:.2f} s | |")
    for label, (p50, p95, queries), target in (
        ("campaign page (100 of 10,000 lines)", campaign_page, "< 150 ms p95"),
        (f"who can access what, a person with {held} object permissions", person_page, "< 150 ms p95"),
        ("reviews dashboard (the access report)", dashboard, ""),
    ):
        print(f"| {label}, p50 / p95 | {p50:.0f} / {p95:.0f} ms, {queries} queries | {target} |")
    counts = {k: len(v) for k, v in report.items()}
    print(f"| access report (`access_report`) | {report_seconds:.2f} s ({counts}) | |")


if __name__ == "__main__":
    main()
