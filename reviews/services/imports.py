"""Importing a system's accounts: CSV or JSON, validated whole, then one snapshot replaces the last.

A file with any bad row changes nothing; each error names the row (the line of a CSV, the
position in a JSON array, both counted from 1) and the column. Accounts are matched to
people by email, case-insensitively. When the new snapshot no longer shows an account that
a reviewer revoked, its removal task closes.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from access.models import User
from core.errors import DomainError
from core.permissions import require_perm
from governance.models import Asset
from reviews.models import (
    ENTITLEMENT_SEPARATOR,
    RAMPART,
    RemovalTask,
    SystemAccount,
    SystemAccountImport,
    entitlement_keys,
)

COLUMNS = ("account", "email", "entitlements", "last_sign_in", "status")
MAX_ROWS = 200_000
IMPORT_PERM = "reviews.add_systemaccountimport"


@dataclass(frozen=True)
class AccountRow:
    account: str
    email: str
    entitlements: tuple[str, ...]
    last_sign_in: date | None
    status: str


class AccountImportError(DomainError):
    """Every problem of a file; nothing was written."""

    def __init__(self, *, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = len(problems) - len(shown)
        tail = f"; and {more} more" if more > 0 else ""
        super().__init__("The file was not imported: " + "; ".join(shown) + tail + ".")


def _text(value: Any, where: str, column: str, problems: list[str], *, limit: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{where}, column {column}: expected text")
        return ""
    text = value.replace("\x00", "").strip()
    if len(text) > limit:
        problems.append(f"{where}, column {column}: longer than {limit} characters")
    return text


def _row(raw: dict[str, Any], where: str, problems: list[str], seen: set[str]) -> AccountRow | None:
    before = len(problems)
    account = _text(raw.get("account"), where, "account", problems)
    if not account:
        problems.append(f"{where}, column account: empty")
    elif account.lower() in seen:
        problems.append(f"{where}, column account: {account} appears twice")
    seen.add(account.lower())
    email = _text(raw.get("email"), where, "email", problems, limit=254).lower()
    if email and ("@" not in email or " " in email):
        problems.append(f"{where}, column email: {email} is not an email address")
    ents_raw = raw.get("entitlements")
    entitlements: list[str] = []
    if isinstance(ents_raw, str):
        entitlements = [e.strip() for e in ents_raw.split(";") if e.strip()]
        if ENTITLEMENT_SEPARATOR in ents_raw:
            problems.append(f"{where}, column entitlements: control characters are not allowed")
    elif isinstance(ents_raw, list):
        for value in ents_raw:
            if not isinstance(value, str) or not value.strip() or ENTITLEMENT_SEPARATOR in value:
                problems.append(f"{where}, column entitlements: each entitlement must be non-empty text")
                break
            entitlements.append(value.strip())
    elif ents_raw is not None:
        problems.append(f"{where}, column entitlements: expected a list")
    if any(len(e) > 200 for e in entitlements):
        problems.append(f"{where}, column entitlements: an entitlement is longer than 200 characters")
    last_raw = _text(raw.get("last_sign_in"), where, "last_sign_in", problems, limit=40)
    last: date | None = None
    if last_raw:
        try:
            last = date.fromisoformat(last_raw[:10])
        except ValueError:
            problems.append(f"{where}, column last_sign_in: {last_raw} is not an ISO 8601 date (YYYY-MM-DD)")
    status = _text(raw.get("status"), where, "status", problems, limit=20).lower() or ""
    if status not in (SystemAccount.Status.ACTIVE, SystemAccount.Status.DISABLED):
        problems.append(f"{where}, column status: {status or 'empty'} is not active or disabled")
    if len(problems) > before:
        return None
    return AccountRow(account, email, tuple(dict.fromkeys(entitlements)), last, status)


def parse_csv(data: bytes | str) -> list[AccountRow]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if header != list(COLUMNS):
        raise AccountImportError(problems=[f"line 1: the header must be {','.join(COLUMNS)}"])
    reader.fieldnames = header
    problems: list[str] = []
    rows: list[AccountRow] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(f"line {number}: more columns than the header")
            continue
        row = _row(raw, f"line {number}", problems, seen)
        if row is not None:
            rows.append(row)
        if number > MAX_ROWS:
            problems.append(f"more than {MAX_ROWS} rows")
            break
    if problems:
        raise AccountImportError(problems=problems)
    return rows


def parse_records(records: Any) -> list[AccountRow]:
    """A JSON array of objects with the CSV's keys (``entitlements`` a list)."""
    if not isinstance(records, list):
        raise AccountImportError(problems=["the JSON must be an array of account objects"])
    problems: list[str] = []
    rows: list[AccountRow] = []
    seen: set[str] = set()
    for number, raw in enumerate(records[: MAX_ROWS + 1], start=1):
        where = f"row {number}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected an object")
            continue
        unknown = sorted(set(raw) - set(COLUMNS))
        if unknown:
            problems.append(f"{where}, column {unknown[0]}: unknown key")
            continue
        if raw.get("entitlements") is not None and not isinstance(raw.get("entitlements"), list):
            problems.append(f"{where}, column entitlements: expected a list")
            continue
        row = _row(raw, where, problems, seen)
        if row is not None:
            rows.append(row)
    if problems:
        raise AccountImportError(problems=problems)
    return rows


def parse_file(data: bytes, file_name: str = "") -> list[AccountRow]:
    """CSV or JSON, told apart by the name or, failing that, by the first character."""
    text = data.decode("utf-8-sig", errors="replace")
    if file_name.lower().endswith(".json") or text.lstrip()[:1] == "[":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AccountImportError(problems=[f"line {exc.lineno}: not valid JSON ({exc.msg})"]) from exc
        return parse_records(records)
    return parse_csv(text)


def _system(name: str, *, create: bool) -> Asset:
    name = name.strip()
    if not name:
        raise DomainError("Name the system.")
    if name.lower() == RAMPART.lower():
        raise DomainError("Rampart's own accounts are read live; they are not imported.")
    asset = Asset.objects.filter(name__iexact=name).first()
    if asset is None:
        if not create:
            raise DomainError(f"No system is called {name}.")
        asset = Asset(name=name[:200], kind=Asset.Kind.OTHER)
        asset.full_clean()
        asset.save()
    return asset


def _match_users(emails: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk_start in range(0, len(emails), 5000):
        chunk = sorted(emails)[chunk_start : chunk_start + 5000]
        users = User.objects.annotate(lower_email=Lower("email")).filter(lower_email__in=chunk)
        for pk, email in users.values_list("pk", "lower_email"):
            found[email] = pk
    return found


def write_snapshot(
    *, system: str, rows: list[AccountRow], actor: User | None, source: str, file_name: str = "", create: bool = True
) -> SystemAccountImport:
    """Replace the system's current accounts with ``rows`` (already validated). Permission checked by callers."""
    with transaction.atomic():
        asset = _system(system, create=create)
        Asset.objects.select_for_update().filter(pk=asset.pk).first()  # one import of a system at a time
        SystemAccountImport.objects.filter(asset=asset, is_current=True).update(is_current=False)
        SystemAccount.objects.filter(asset=asset, is_current=True).update(is_current=False)
        snapshot = SystemAccountImport.objects.create(
            asset=asset,
            imported_by=actor,
            source=source,
            file_name=file_name[:255],
            row_count=len(rows),
            imported_at=timezone.now(),
        )
        users = _match_users({r.email for r in rows if r.email})
        accounts = SystemAccount.objects.bulk_create(
            [
                SystemAccount(
                    snapshot=snapshot,
                    asset=asset,
                    account=r.account,
                    email=r.email,
                    entitlements=list(r.entitlements),
                    entitlement_keys=entitlement_keys(list(r.entitlements)),
                    last_sign_in=r.last_sign_in,
                    status=r.status,
                    user_id=users.get(r.email),
                )
                for r in rows
            ],
            batch_size=5000,
        )
        _close_removals(asset, accounts)
    return snapshot


def _close_removals(asset: Asset, accounts: list[SystemAccount]) -> None:
    """Removal tasks on this system whose account the new snapshot no longer shows (or shows disabled)."""
    present = {a.account.lower() for a in accounts if a.status == SystemAccount.Status.ACTIVE}
    now = timezone.now()
    for task in RemovalTask.objects.filter(asset=asset, status=RemovalTask.Status.OPEN).order_by("pk"):
        if task.account_name.lower() not in present:
            task.status, task.closed_at = RemovalTask.Status.DONE, now
            task.note = "The next import no longer shows this access."
            task.save(update_fields=["status", "closed_at", "note"])


def import_accounts(
    *, actor: User, system: str, data: bytes | None = None, records: Any = None, file_name: str = "", source: str = ""
) -> SystemAccountImport:
    """Import a file (``data``) or JSON records (``records``, the API) for ``system``; creates the system."""
    require_perm(actor, IMPORT_PERM)
    if not Asset.objects.filter(name__iexact=system.strip()).exists():
        require_perm(actor, "governance.add_asset")
    rows = parse_records(records) if data is None else parse_file(data, file_name)
    return write_snapshot(
        system=system,
        rows=rows,
        actor=actor,
        source=source or (SystemAccountImport.Source.API if data is None else SystemAccountImport.Source.UPLOAD),
        file_name=file_name,
    )
