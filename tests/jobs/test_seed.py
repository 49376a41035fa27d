"""seed_demo and seed_scale: personas, idempotence, the DEBUG guard, bulk counts."""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError

from access.models import Role, User
from audits.models import GENESIS_HASH, ChainHead, LogEntry
from jobs.models import JobRun

pytestmark = pytest.mark.django_db

EXPECTED_PERSONAS = {
    "admin_alice@demo.rampart.test": Role.ADMINISTRATOR,
    "officer_olga@demo.rampart.test": Role.COMPLIANCE_OFFICER,
    "it_ivan@demo.rampart.test": Role.IT_ADMINISTRATOR,
    "owner_omar@demo.rampart.test": Role.CONTROL_OWNER,
    "auditor_aude@demo.rampart.test": Role.AUDITOR,
    "employee_emil@demo.rampart.test": Role.EMPLOYEE,
}


@pytest.fixture
def dev_settings(settings: Any, tmp_path: Path) -> Any:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


@pytest.fixture
def small_trail(monkeypatch: pytest.MonkeyPatch) -> int:
    """1,000 scale audit entries per factor instead of 20,000, to keep these tests quick."""
    from audits import seed

    monkeypatch.setattr(seed, "ENTRIES_PER_FACTOR", 1000)
    return 1000


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def printed_sign_ins(output: str) -> dict[str, str]:
    """email -> password, read from the table the command prints."""
    return dict(re.findall(r"^(\S+@demo\.rampart\.test)\s+(\S+)\s", output, flags=re.MULTILINE))


def test_seed_demo_creates_one_persona_per_role(dev_settings: Any) -> None:
    output = run("seed_demo")

    users = {u.email: u for u in User.objects.prefetch_related("groups")}
    assert set(users) == set(EXPECTED_PERSONAS)
    for email, role in EXPECTED_PERSONAS.items():
        assert users[email].role_names == [role]
    assert users["admin_alice@demo.rampart.test"].full_name == "Alice Admin"

    sign_ins = printed_sign_ins(output)
    assert set(sign_ins) == set(EXPECTED_PERSONAS)
    alice = users["admin_alice@demo.rampart.test"]
    assert alice.check_password(sign_ins[alice.email])
    for email, password in sign_ins.items():
        assert len(password) >= 12
        validate_password(password, users[email])
    assert "enrol" in output and "TOTP" in output

    stored = dev_settings.VAR_DIR / "demo-passwords.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600


def test_seed_demo_writes_the_audit_trail_as_the_command(dev_settings: Any) -> None:
    run("seed_demo")
    alice = User.objects.get(email="admin_alice@demo.rampart.test")
    entry = LogEntry.objects.get_for_object(alice).filter(action=LogEntry.Action.CREATE).get()
    assert entry.actor_id is None
    assert entry.additional_data["via"] == "command:seed_demo"


def test_second_seed_demo_creates_nothing_and_prints_the_same_passwords(dev_settings: Any) -> None:
    first = run("seed_demo")
    counts = (User.objects.count(), LogEntry.objects.count(), User.groups.through.objects.count())

    second = run("seed_demo")

    assert (User.objects.count(), LogEntry.objects.count(), User.groups.through.objects.count()) == counts
    assert "nothing new" in second
    assert printed_sign_ins(second) == printed_sign_ins(first)
    assert len(printed_sign_ins(first)) == 6


def test_seed_demo_gives_a_new_password_when_the_stored_one_is_lost(dev_settings: Any) -> None:
    run("seed_demo")
    (dev_settings.VAR_DIR / "demo-passwords.json").unlink()

    output = run("seed_demo")

    assert User.objects.count() == 6
    emil = User.objects.get(email="employee_emil@demo.rampart.test")
    assert emil.check_password(printed_sign_ins(output)[emil.email])


def test_seed_demo_refuses_without_debug_unless_forced(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="DEBUG is off"):
        run("seed_demo")
    assert not User.objects.exists()

    run("seed_demo", "--force")
    assert User.objects.count() == 6


def test_seed_scale_refuses_without_debug_unless_forced(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        run("seed_scale", "--factor", "1")
    assert not User.objects.exists()


def test_seed_scale_rejects_a_silly_factor(dev_settings: Any) -> None:
    with pytest.raises(CommandError, match="--factor"):
        run("seed_scale", "--factor", "0")


def _assert_chain_intact() -> None:
    expected_prev = GENESIS_HASH
    last = 0
    for entry in LogEntry.objects.filter(cid="seed_scale").order_by("sequence"):
        if entry.sequence != last + 1:
            expected_prev = LogEntry.objects.get(sequence=entry.sequence - 1).entry_hash
        assert entry.prev_hash == expected_prev
        assert entry.compute_hash() == entry.entry_hash
        expected_prev, last = entry.entry_hash, entry.sequence
    head = ChainHead.objects.get()
    assert head.sequence == LogEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    assert head.last_hash == LogEntry.objects.get(sequence=head.sequence).entry_hash


def test_seed_scale_creates_the_counts_it_claims(dev_settings: Any, small_trail: int) -> None:
    output = run("seed_scale", "--factor", "1")

    scale_users = User.objects.filter(email__endswith="@scale.rampart.test")
    assert scale_users.count() == 100
    assert re.search(r"^users\s+100\s", output, flags=re.MULTILINE)
    assert LogEntry.objects.filter(cid="seed_scale").count() == 1000
    assert re.search(r"^audit-trail entries\s+1000\s", output, flags=re.MULTILINE)
    assert JobRun.objects.count() == 200
    assert re.search(r"^job runs\s+200\s", output, flags=re.MULTILINE)

    # Every bulk user holds exactly one role, and every role is represented.
    assert User.groups.through.objects.filter(user__in=scale_users).count() == 100
    for role in Role.values:
        assert Group.objects.get(name=role).user_set.filter(email__endswith="@scale.rampart.test").exists()
    _assert_chain_intact()


def test_seed_scale_after_seed_demo_keeps_the_chain_and_tops_up(dev_settings: Any, small_trail: int) -> None:
    run("seed_demo")
    run("seed_scale", "--factor", "1")
    before = LogEntry.objects.count()

    again = run("seed_scale", "--factor", "1")

    assert LogEntry.objects.count() == before
    assert JobRun.objects.count() == 200
    assert re.search(r"^users\s+0\s", again, flags=re.MULTILINE)
    # Entries follow the demo's; scale users who hold a writing role are their actors.
    first_scale = LogEntry.objects.filter(cid="seed_scale").order_by("sequence").first()
    assert first_scale is not None
    assert first_scale.prev_hash == LogEntry.objects.get(sequence=first_scale.sequence - 1).entry_hash
    actors = set(LogEntry.objects.filter(cid="seed_scale").values_list("actor__groups__name", flat=True))
    assert actors <= {Role.ADMINISTRATOR, Role.COMPLIANCE_OFFICER, Role.IT_ADMINISTRATOR, Role.CONTROL_OWNER}
    assert len(actors) > 1
    _assert_chain_intact()
    assert "OK: " in run("verify_audit_trail")
