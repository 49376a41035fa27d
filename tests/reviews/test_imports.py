"""Importing accounts: validated whole, errors naming row and column, snapshots kept as history."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.errors import PermissionDeniedError
from governance.models import Asset
from reviews.models import SystemAccount, SystemAccountImport
from reviews.services.imports import AccountImportError, import_accounts

GOOD = (
    "account,email,entitlements,last_sign_in,status\n"
    "jdoe,Officer_Olga@Example.TEST,create payment;approve payment,2026-11-01,active\n"
    "ghost,ghost@nowhere.test,read,,disabled\n"
)


def test_csv_import_creates_the_system_and_matches_people_by_email(it_ivan, officer_olga):
    snapshot = import_accounts(actor=it_ivan, system="Payments", data=GOOD.encode(), file_name="p.csv")
    assert snapshot.row_count == 2
    assert Asset.objects.filter(name="Payments").exists()
    jdoe = SystemAccount.objects.get(account="jdoe")
    assert jdoe.user == officer_olga  # email matched case-insensitively
    assert jdoe.entitlements == ["create payment", "approve payment"]
    assert jdoe.last_sign_in == date(2026, 11, 1)
    ghost = SystemAccount.objects.get(account="ghost")
    assert ghost.user is None and ghost.status == "disabled" and ghost.last_sign_in is None
    assert SystemAccount.objects.filter(entitlement_keys__contains="\x1fapprove payment\x1f").get() == jdoe
    assert not SystemAccount.objects.filter(entitlement_keys__contains="\x1fapprove\x1f").exists()  # whole names only


def test_json_import_with_entitlement_lists(it_ivan):
    records = [{"account": "a1", "email": "", "entitlements": ["x", "y"], "last_sign_in": None, "status": "active"}]
    snapshot = import_accounts(actor=it_ivan, system="CRM", data=json.dumps(records).encode(), file_name="c.json")
    assert snapshot.row_count == 1
    assert SystemAccount.objects.get().entitlements == ["x", "y"]


def test_a_new_import_replaces_the_snapshot_and_keeps_history(it_ivan):
    import_accounts(actor=it_ivan, system="Payments", data=GOOD.encode())
    newer = "account,email,entitlements,last_sign_in,status\nonly,only@example.test,read,2026-12-01,active\n"
    import_accounts(actor=it_ivan, system="Payments", data=newer.encode())
    assert SystemAccountImport.objects.count() == 2
    assert SystemAccountImport.objects.filter(is_current=True).count() == 1
    assert list(SystemAccount.objects.filter(is_current=True).values_list("account", flat=True)) == ["only"]
    assert SystemAccount.objects.filter(is_current=False).count() == 2  # history


def test_bad_rows_change_nothing_and_name_row_and_column(it_ivan):
    import_accounts(actor=it_ivan, system="Payments", data=GOOD.encode())
    bad = (
        "account,email,entitlements,last_sign_in,status\n"
        "fine,fine@example.test,read,2026-01-01,active\n"
        "broken,not-an-email,read,01/02/2026,maybe\n"
        ",x@example.test,,,active\n"
    )
    with pytest.raises(AccountImportError) as caught:
        import_accounts(actor=it_ivan, system="Payments", data=bad.encode())
    problems = caught.value.problems
    assert "line 3, column email: not-an-email is not an email address" in problems
    assert any(p.startswith("line 3, column last_sign_in:") for p in problems)
    assert any(p.startswith("line 3, column status:") for p in problems)
    assert "line 4, column account: empty" in problems
    assert SystemAccountImport.objects.count() == 1
    assert sorted(SystemAccount.objects.filter(is_current=True).values_list("account", flat=True)) == ["ghost", "jdoe"]


def test_bad_json_rows_name_their_position(it_ivan):
    records = [{"account": "a", "status": "active"}, {"account": "b", "status": "active", "entitlements": "x"}]
    with pytest.raises(AccountImportError) as caught:
        import_accounts(actor=it_ivan, system="CRM", data=json.dumps(records).encode(), file_name="c.json")
    assert caught.value.problems == ["row 2, column entitlements: expected a list"]
    assert not Asset.objects.filter(name="CRM").exists()


def test_wrong_header_is_refused(it_ivan):
    with pytest.raises(AccountImportError, match="line 1: the header must be"):
        import_accounts(actor=it_ivan, system="X", data=b"user,mail\na,b\n")


def test_duplicate_accounts_are_refused(it_ivan):
    data = "account,email,entitlements,last_sign_in,status\na,,,,active\nA,,,,active\n"
    with pytest.raises(AccountImportError, match="line 3, column account: A appears twice"):
        import_accounts(actor=it_ivan, system="X", data=data.encode())


@pytest.mark.parametrize("persona", ["officer_olga", "owner_omar", "auditor_aude", "employee_emil"])
def test_only_managers_import(personas, persona):
    with pytest.raises(PermissionDeniedError):
        import_accounts(actor=personas[persona], system="Payments", data=GOOD.encode())
    assert not SystemAccountImport.objects.exists()


def test_rampart_is_not_imported(it_ivan):
    with pytest.raises(Exception, match="read live"):
        import_accounts(actor=it_ivan, system="rampart", data=GOOD.encode())
