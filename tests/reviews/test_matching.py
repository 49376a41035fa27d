"""Accounts follow people: matched again when a person is created, changes email or is deactivated."""

from __future__ import annotations

from typing import Any

from access.models import Role
from access.services import deactivate_user, invite_user, reactivate_user
from reviews import selectors
from reviews.models import SystemAccount
from tests.reviews.conftest import snapshot


def _names(queryset: Any) -> list[str]:
    return sorted(queryset.values_list("account", flat=True))


def _ledger() -> None:
    snapshot(
        "Ledger",
        [
            ("newbie", "Nora.New@Example.test", ["post"], None, "active"),
            ("olga", "officer_olga@example.test", ["approve"], None, "active"),
            ("emil", "employee_emil@example.test", ["read"], None, "active"),
        ],
    )


def test_a_new_person_takes_over_their_orphan_account(personas: Any) -> None:
    _ledger()
    assert _names(selectors.orphans()) == ["newbie"]
    nora, _ = invite_user(
        actor=personas["admin_alice"], email="nora.new@example.test", full_name="Nora New", roles=[Role.EMPLOYEE]
    )
    assert _names(selectors.orphans()) == []
    assert SystemAccount.objects.get(account="newbie").user == nora


def test_a_new_email_moves_the_match_and_the_old_address_becomes_an_orphan(personas: Any) -> None:
    _ledger()
    olga = personas["officer_olga"]
    olga.email = "nora.new@example.test"
    olga.save()
    assert SystemAccount.objects.get(account="newbie").user == olga
    assert _names(selectors.orphans()) == ["olga"]
    olga.email = "officer_olga@example.test"
    olga.save(update_fields=["email"])
    assert SystemAccount.objects.get(account="olga").user == olga
    assert _names(selectors.orphans()) == ["newbie"]


def test_deactivation_makes_a_leaver_and_reactivation_undoes_it(personas: Any) -> None:
    _ledger()
    emil = personas["employee_emil"]
    deactivate_user(actor=personas["admin_alice"], user=emil)
    assert _names(selectors.leavers()) == ["emil"]
    reactivate_user(actor=personas["admin_alice"], user=emil)
    assert _names(selectors.leavers()) == []


def test_saves_of_other_fields_leave_accounts_alone(personas: Any) -> None:
    _ledger()
    emil = personas["employee_emil"]
    SystemAccount.objects.filter(account="emil").update(user=None)  # as if matched wrongly
    emil.full_name = "Emil E."
    emil.save(update_fields=["full_name"])
    assert SystemAccount.objects.get(account="emil").user is None
    emil.save()
    assert SystemAccount.objects.get(account="emil").user == emil
