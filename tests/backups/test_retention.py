"""Retention by grandfather-father-son rules, on a history made day by day with ``time_machine``.

The decision comes from the signed manifests in the destination (a folder's name counts for
nothing), never deletes the newest verified set, and a dry run deletes nothing.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from backups.models import BackupPlan, BackupSet
from backups.services.retention import Candidate, apply_retention, decide
from backups.services.runs import run_backup
from tests.backups.conftest import Backups

START = datetime(2026, 8, 1, 2, 30, tzinfo=UTC)


def _expected(days: list[datetime], daily: int, weekly: int, monthly: int) -> set[datetime]:
    """The rule written another way: for each period kind, the newest backup of each of the newest N periods."""
    kept: set[datetime] = set()
    for key, count in (
        (lambda d: d.date(), daily),
        (lambda d: d.isocalendar()[:2], weekly),
        (lambda d: (d.year, d.month), monthly),
    ):
        newest: dict[Any, datetime] = {}
        for moment in days:
            newest[key(moment)] = max(moment, newest.get(key(moment), moment))
        kept |= set(sorted(newest.values(), reverse=True)[:count])
    return kept


def test_decide_keeps_the_newest_of_each_day_week_and_month() -> None:
    moments = [START + timedelta(days=n) for n in range(400)]
    moments += [START + timedelta(days=n, hours=6) for n in range(0, 400, 3)]  # some days have two sets
    candidates = [Candidate(f"s{i:04d}", m, verified=True) for i, m in enumerate(moments)]
    decision = decide(candidates, daily=7, weekly=4, monthly=6)
    kept = {c.started_at for c in candidates if c.set_id in decision.keep}
    assert kept == _expected(moments, 7, 4, 6)
    assert len(decision.delete) == len(candidates) - len(kept)
    newest = max(candidates, key=lambda c: c.started_at)
    assert decision.keep[newest.set_id][:1] == [f"daily {newest.started_at.date().isoformat()}"]


def test_decide_never_deletes_the_newest_verified_set() -> None:
    moments = [START + timedelta(days=n) for n in range(10)]
    candidates = [Candidate(f"s{i}", m, verified=i < 7) for i, m in enumerate(moments)]  # the 3 newest failed
    decision = decide(candidates, daily=0, weekly=0, monthly=0)
    assert decision.keep == {"s6": ["newest verified set"]}
    decision = decide(candidates, daily=2, weekly=0, monthly=0)
    assert set(decision.keep) == {"s9", "s8", "s6"}


@pytest.mark.django_db(transaction=True)
def test_retention_on_a_constructed_history(backups_env: Backups, recipient: Any) -> None:
    backups_env.stored_file("policy.txt", b"keep me")
    plan = BackupPlan.objects.create(
        name="Files", what=BackupPlan.What.FILES, cron="30 2 * * *", keep_daily=1000, keep_weekly=0, keep_monthly=0
    )
    other = BackupPlan.objects.create(name="Other", what=BackupPlan.What.FILES, cron="0 4 * * *")
    moments = [START + timedelta(days=n) for n in range(0, 80, 2)] + [START + timedelta(days=79)]
    made: dict[str, datetime] = {}
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            made[run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.SCHEDULE).set_id] = moment
    with time_machine.travel(moments[-1] + timedelta(hours=2), tick=False):
        foreign = run_backup(plan=other, actor=None, trigger=BackupSet.Trigger.SCHEDULE).set_id
    assert len(made) == len(moments)  # keep_daily=1000: nothing went yet

    # A copy of an old set under a name that sorts first: its manifest names another set, so it counts for nothing.
    oldest = min(made, key=made.__getitem__)
    decoy = "20200101T000000Z-000000"
    shutil.copytree(backups_env.set_dir(oldest), backups_env.set_dir(decoy))

    plan.keep_daily, plan.keep_weekly, plan.keep_monthly = 3, 2, 2
    plan.save()
    out = StringIO()
    call_command("backup_prune", "Files", "--dry-run", stdout=out)
    expected = _expected(list(made.values()), 3, 2, 2)
    kept = {set_id for set_id, moment in made.items() if moment in expected}
    lines = out.getvalue().splitlines()
    assert (
        lines[0] == f"Plan Files: {len(made)} complete set(s); keep {len(kept)}, would delete {len(made) - len(kept)}"
    )
    assert {line.split()[1] for line in lines if line.startswith("keep ")} == kept
    assert {line.split()[2] for line in lines if line.startswith("would delete ")} == set(made) - kept
    assert all(backups_env.set_dir(set_id).is_dir() for set_id in made)  # the dry run deleted nothing

    with time_machine.travel(moments[-1] + timedelta(hours=3), tick=False):
        report = apply_retention(plan=plan, actor=None)
    assert set(report.decision.delete) == set(made) - kept
    for set_id in made:
        assert backups_env.set_dir(set_id).is_dir() == (set_id in kept)
    assert (
        set(BackupSet.objects.filter(status=BackupSet.Status.PRUNED).values_list("set_id", flat=True))
        == set(made) - kept
    )
    assert backups_env.set_dir(foreign).is_dir() and backups_env.set_dir(decoy).is_dir()  # not this plan's sets


@pytest.mark.django_db(transaction=True)
def test_newer_sets_that_do_not_verify_never_cost_the_last_good_one(backups_env: Backups, recipient: Any) -> None:
    plan = BackupPlan.objects.create(name="Db", what=BackupPlan.What.FILES, cron="30 2 * * *", keep_daily=10)
    backups_env.stored_file("a.txt", b"a")
    made = []
    for day in range(3):
        with time_machine.travel(START + timedelta(days=day), tick=False):
            made.append(run_backup(plan=plan, actor=None, trigger=BackupSet.Trigger.SCHEDULE).set_id)
    good, middle, newest = made
    BackupSet.objects.filter(set_id__in=[middle, newest]).update(verify_ok=False)  # as if their checks had failed
    plan.keep_daily, plan.keep_weekly, plan.keep_monthly = 1, 0, 0
    plan.save()
    with time_machine.travel(START + timedelta(days=3), tick=False):
        report = apply_retention(plan=plan, actor=None)
    assert report.decision.keep == {newest: ["daily 2026-08-03"], good: ["newest verified set"]}
    assert report.decision.delete == [middle]
    assert backups_env.set_dir(good).is_dir() and not backups_env.set_dir(middle).exists()
