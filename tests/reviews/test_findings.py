"""Orphans, leavers, dormant accounts and SoD violations, computed on known data; the command's JSON."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django.utils import timezone

from access.models import User
from governance.models import ComplianceException, Control
from reviews import selectors
from reviews.models import SodRule
from reviews.report import access_report
from reviews.services.sod import cover_violation, write_rule
from tests.reviews.conftest import snapshot

TODAY = date(2026, 12, 7)


def _known(personas):
    leaver = personas["owner_omar"]
    leaver.is_active = False
    leaver.save()
    snapshot(
        "Payments",
        [
            ("olga", "officer_olga@example.test", ["create payment", "approve payment"], TODAY, "active"),
            ("omar", "owner_omar@example.test", ["create payment"], TODAY - timedelta(days=10), "active"),
            ("ghost", "ghost@nowhere.test", ["read"], TODAY - timedelta(days=89), "active"),
            ("old", "employee_emil@example.test", ["read"], TODAY - timedelta(days=91), "active"),
            ("off", "nobody@nowhere.test", ["read"], TODAY - timedelta(days=400), "disabled"),
        ],
    )
    snapshot("Ledger", [("ivan", "IT_IVAN@example.test", ["approve payment"], None, "active")])


@time_machine.travel(TODAY, tick=False)
def test_orphans_leavers_and_dormant_on_known_data(personas):
    _known(personas)
    User.objects.update(last_login=timezone.now())  # Rampart's own users all signed in today
    report = access_report(90)
    assert report["orphans"] == [{"system": "Payments", "account": "ghost"}]  # disabled "off" is no finding
    assert report["leavers"] == [{"system": "Payments", "account": "omar"}]
    assert report["dormant"] == [
        {"system": "Ledger", "account": "ivan", "last_sign_in": None},
        {"system": "Payments", "account": "old", "last_sign_in": "2026-09-07"},
    ]
    assert [d["account"] for d in access_report(30)["dormant"]] == ["ivan", "ghost", "old"]


@time_machine.travel(TODAY, tick=False)
def test_rampart_users_without_recent_sign_in_are_dormant(personas):
    User.objects.update(last_login=timezone.now())
    User.objects.filter(pk=personas["auditor_aude"].pk).update(last_login=timezone.now() - timedelta(days=120))
    dormant = access_report(90)["dormant"]
    assert dormant == [{"system": "Rampart", "account": "auditor_aude@example.test", "last_sign_in": "2026-08-09"}]


@time_machine.travel(TODAY, tick=False)
def test_sod_violations_within_and_across_systems_and_in_rampart(personas):
    _known(personas)
    write_rule(name="Payments", first="Payments:create payment", second="Payments:approve payment")
    write_rule(name="Across", first="Payments:create payment", second="Ledger:approve payment")
    write_rule(name="Pay and manage", first="Ledger:approve payment", second="Rampart:IT administrator")
    write_rule(name="Rules", first="Rampart:access.manage_users", second="Rampart:governance.add_control")
    found = sorted((v.rule.name, v.person.email) for v in selectors.sod_violations())
    assert found == [
        ("Pay and manage", "it_ivan@example.test"),
        ("Payments", "officer_olga@example.test"),
        ("Rules", "admin_alice@example.test"),
    ]  # Omar holds create payment but left; nobody holds create payment and Ledger approve payment
    violation = next(v for v in selectors.sod_violations() if v.rule.name == "Payments")
    assert violation.accounts == ["Payments: olga (create payment)", "Payments: olga (approve payment)"]


@time_machine.travel(TODAY, tick=False)
def test_an_exception_in_force_covers_a_violation_until_it_expires(personas):
    _known(personas)
    rule = write_rule(name="Payments", first="Payments:create payment", second="Payments:approve payment")
    control = Control.objects.create(ref="C-1", title="Payments")
    exception = ComplianceException.objects.create(
        title="Small team",
        control=control,
        reason="Two people",
        requested_by=personas["it_ivan"],
        status=ComplianceException.Status.APPROVED,
        expires_on=TODAY + timedelta(days=30),
    )
    cover_violation(actor=personas["admin_alice"], rule=rule, person=personas["officer_olga"], exception=exception)
    assert access_report()["sod_violations"] == []
    assert selectors.sod_violations()[0].covered
    with time_machine.travel(TODAY + timedelta(days=31), tick=False):
        assert access_report()["sod_violations"] == [{"rule": "Payments", "person": "officer_olga@example.test"}]


@time_machine.travel(TODAY, tick=False)
def test_access_report_command_prints_one_json_object(personas, tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text(
        "account,email,entitlements,last_sign_in,status\n"
        "jdoe,officer_olga@example.test,create payment;approve payment,2026-12-01,active\n"
        "ghost,ghost@nowhere.test,read,2026-01-01,active\n"
    )
    out = StringIO()
    call_command("import_accounts", "--system", "Payments", str(path), stdout=out)
    assert out.getvalue().strip() == "Imported 2 accounts into Payments."
    call_command("sod_rule", "add", "Pay", "--first", "Payments:create payment", "--second", "Payments:approve payment")
    listing = StringIO()
    call_command("sod_rule", "list", stdout=listing)
    assert listing.getvalue() == "Pay\tPayments:create payment\tPayments:approve payment\n"
    User.objects.update(last_login=timezone.now())
    out = StringIO()
    call_command("access_report", "--json", "--dormant-days", "90", stdout=out)
    report = json.loads(out.getvalue())
    assert report == {
        "orphans": [{"system": "Payments", "account": "ghost"}],
        "leavers": [],
        "dormant": [{"system": "Payments", "account": "ghost", "last_sign_in": "2026-01-01"}],
        "sod_violations": [{"rule": "Pay", "person": "officer_olga@example.test"}],
    }
    call_command("sod_rule", "remove", "Pay", stdout=StringIO())
    assert not SodRule.objects.exists()


def test_import_command_with_bad_rows_fails_and_changes_nothing(db, tmp_path):
    import pytest
    from django.core.management.base import CommandError

    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"account": "a", "status": "gone"}]))
    err = StringIO()
    with pytest.raises(CommandError, match="was not imported"):
        call_command("import_accounts", "--system", "Payments", str(path), stderr=err)
    assert "row 1, column status: gone is not active or disabled" in err.getvalue()
    from governance.models import Asset

    assert not Asset.objects.filter(name="Payments").exists()
