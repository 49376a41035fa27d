"""Patch checks: the current inventories against the stored advisories, kept as findings.

How a check runs (``check_assets``):

1. The advisories are loaded once into the engine's ``AdvisoryIndex``: all of them for a full
   check; for a check of a few assets (after an upload), only those naming one of their packages
   (a join on the normalised name) and the other members of their alias groups. Withdrawn
   advisories are never loaded.
2. Installed packages of the current inventories are read with ``values_list``, a batch of assets
   at a time (memory holds one batch, never the fleet). Each distinct (ecosystem, package,
   version) is matched once per check and its findings are worked out once (``Matcher``): hosts
   share most of their packages.
3. Per asset, findings are one per (ecosystem, package, vulnerability), a vulnerability being an
   alias group (``Advisory.vulnerability_id``). Severity: the worst level the matching advisories
   give (CVSS v3 vector, else rating); when they give none, the worst their aliases give;
   otherwise unknown, which the SLA treats as high. Due date: first seen + the patch policy's
   days for that severity (known exploited: at most its own days).
4. Compared with the asset's live findings: new ones are created, changed ones updated (a new
   severity moves the due date), accepted ones whose exception ended are reopened, and live ones
   no longer matched are fixed (``fixed_version``: what is installed now; empty when the package
   was removed) or withdrawn (every advisory behind them was withdrawn). A finding whose
   vulnerability got a new canonical id (a new alias) keeps its row and its first-seen date.
5. The run is recorded (``PatchCheckRun``) with its counts: new, fixed, open, overdue, and the
   compliance figure (live findings within their due date, per cent).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from access.models import User
from governance.models import Asset, ComplianceException
from policies.models import Advisory, AdvisoryPackage, InstalledPackage, Inventory, PatchCheckRun, PatchFinding
from policies.patching.severity import Severity
from policies.patching.sla import due_date
from policies.services import authorize
from policies.services.patch_matcher import Found, Matcher, cut

CHECK_PERM = "policies.add_patchcheckrun"
ASSET_BATCH = 25
OPEN = PatchFinding.Status.OPEN
ACCEPTED = PatchFinding.Status.ACCEPTED
LIVE = [OPEN, ACCEPTED]
# What a check sets on a finding it keeps (bulk_update writes only these).
_UPDATED_FIELDS = [
    "vulnerability_id",
    "advisory_ids",
    "aliases",
    "summary",
    "state",
    "severity",
    "cvss_score",
    "known_exploited",
    "installed_version",
    "fixed_in",
    "due_date",
    "status",
    "updated_at",
]
_CLOSED_FIELDS = ["status", "fixed_at", "fixed_version", "updated_at"]
# The columns a new finding is inserted with (``_Check._insert``); the others are null.
_INSERT_COLUMNS = (
    "asset_id",
    "ecosystem",
    "package",
    "installed_version",
    "vulnerability_id",
    "advisory_ids",
    "aliases",
    "summary",
    "state",
    "severity",
    "cvss_score",
    "known_exploited",
    "fixed_in",
    "first_seen",
    "due_date",
    "status",
    "fixed_version",
    "created_at",
    "updated_at",
)


@dataclass
class _Counts:
    packages: int = 0
    new: int = 0
    fixed: int = 0
    reopened: int = 0
    withdrawn: int = 0
    new_critical: int = 0


Key = tuple[str, str, str]  # (ecosystem, package, vulnerability id)


class _Check:
    def __init__(self, matcher: Matcher, sla: Any, today: date, now: datetime, withdrawn: set[str]) -> None:
        self.matcher = matcher
        self.sla = sla
        self.today = today
        self.now = now
        self.withdrawn = withdrawn
        self.counts = _Counts()
        self._due: dict[tuple[date, str, bool], date] = {}
        self.exceptions_in_force = set(
            ComplianceException.objects.filter(ComplianceException.in_force(today)).values_list("pk", flat=True)
        )

    def due(self, first_seen: date, severity: str, exploited: bool) -> date:
        key = (first_seen, severity, exploited)
        known = self._due.get(key)
        if known is None:
            known = self._due[key] = due_date(first_seen, severity, exploited, self.sla)
        return known

    def batch(self, asset_ids: list[int], inventories: dict[int, int]) -> None:
        """Check a batch of assets (``inventories``: current inventory id -> asset id)."""
        list(Asset.objects.select_for_update().filter(pk__in=asset_ids).values_list("pk", flat=True))
        computed: dict[int, dict[Key, Found]] = {pk: {} for pk in asset_ids}
        rows = InstalledPackage.objects.filter(inventory_id__in=list(inventories)).values_list(
            "inventory_id", "ecosystem", "match_name", "version", "source_version"
        )
        cache, work_out = self.matcher.cache, self.matcher.work_out
        packages = 0
        for inventory_id, ecosystem, name, version, source_version in rows.iterator(chunk_size=5000):
            packages += 1
            key = (ecosystem, name, source_version or version)
            findings = cache.get(key)
            if findings is None:
                findings = work_out(key)
            if not findings:
                continue
            mine = computed[inventories[inventory_id]]
            for found in findings:
                finding_key = (ecosystem, name, found.vulnerability_id)
                known = mine.get(finding_key)
                if known is None:
                    mine[finding_key] = found
                elif known is not found and known.state != found.state:
                    mine[finding_key] = known.merged(ecosystem, found)
        self.counts.packages += packages
        self._reconcile(asset_ids, computed, inventories)

    def _reconcile(
        self, asset_ids: list[int], computed: dict[int, dict[Key, Found]], inventories: dict[int, int]
    ) -> None:
        existing = PatchFinding.objects.filter(asset_id__in=asset_ids, status__in=LIVE).values_list(
            "pk",
            "asset_id",
            "ecosystem",
            "package",
            "vulnerability_id",
            "status",
            "state",
            "exception_id",
        )
        changed: dict[int, tuple[Found, str]] = {}  # pk -> (what it becomes, status)
        gone: list[tuple[int, int, str, str, str]] = []
        for pk, asset_id, ecosystem, package, vulnerability, status, state, exception in existing.iterator(
            chunk_size=5000
        ):
            reopened = status == ACCEPTED and exception not in self.exceptions_in_force
            if reopened:  # its exception ended (expired or revoked)
                status = OPEN
            found = computed[asset_id].pop((ecosystem, package, vulnerability), None)
            if found is None:
                gone.append((pk, asset_id, ecosystem, package, status))
                continue
            if reopened or found.state != state:
                changed[pk] = (found, status)
                self.counts.reopened += reopened
        closed = self._gone(gone, computed, changed, inventories) if gone else []
        new = [
            (asset_id, ecosystem, package, found)
            for asset_id, mine in computed.items()
            for (ecosystem, package, _), found in mine.items()
        ]
        self._insert(new)
        PatchFinding.objects.bulk_update(self._updates(changed), _UPDATED_FIELDS, batch_size=200)
        PatchFinding.objects.bulk_update(closed, _CLOSED_FIELDS, batch_size=500)
        self.counts.new += len(new)
        self.counts.new_critical += sum(1 for *_, found in new if found.severity == Severity.CRITICAL)

    def _insert(self, new: list[tuple[int, str, str, Found]]) -> None:
        """Insert new findings with one ``executemany`` per chunk.

        The first check of a fleet creates a finding for every vulnerable package (125,000 in the
        benchmark); Django's ``bulk_create`` spends most of its time building model instances and
        preparing each field of each row, so the rows are prepared here, once per distinct value,
        with the backend's own adapters (dates, datetimes, JSON).
        """
        if not new:
            return
        ops = connection.ops
        now = ops.adapt_datetimefield_value(self.now)
        first_seen = ops.adapt_datefield_value(self.today)
        columns = ", ".join(connection.ops.quote_name(name) for name in _INSERT_COLUMNS)
        table = connection.ops.quote_name(PatchFinding._meta.db_table)
        # Names from the model's metadata, quoted by the backend; values are parameters.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))})"  # noqa: S608
        prepared: dict[str, tuple[Any, Any, Any]] = {}
        rows = []
        for asset_id, ecosystem, package, found in new:
            known = prepared.get(found.state)
            if known is None:
                known = prepared[found.state] = (
                    ops.adapt_json_value(list(found.advisory_ids), None),
                    ops.adapt_json_value(list(found.aliases), None),
                    ops.adapt_datefield_value(self.due(self.today, found.severity, found.known_exploited)),
                )
            advisory_ids, aliases, due = known
            rows.append(
                (
                    asset_id,
                    ecosystem,
                    package,
                    found.installed_version,
                    found.vulnerability_id,
                    advisory_ids,
                    aliases,
                    found.summary,
                    found.state,
                    found.severity,
                    found.cvss_score,
                    found.known_exploited,
                    found.fixed_in,
                    first_seen,
                    due,
                    OPEN,
                    "",
                    now,
                    now,
                )
            )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])

    def _updates(self, changed: dict[int, tuple[Found, str]]) -> list[PatchFinding]:
        """Kept findings that change: the due date follows a new severity from their first-seen day."""
        if not changed:
            return []
        first_seen = dict(PatchFinding.objects.filter(pk__in=list(changed)).values_list("pk", "first_seen"))
        return [
            PatchFinding(
                pk=pk,
                status=status,
                due_date=self.due(first_seen[pk], found.severity, found.known_exploited),
                updated_at=self.now,
                **found.fields(),
            )
            for pk, (found, status) in changed.items()
        ]

    def _gone(
        self,
        rows: list[tuple[int, int, str, str, str]],
        computed: dict[int, dict[Key, Found]],
        changed: dict[int, tuple[Found, str]],
        inventories: dict[int, int],
    ) -> list[PatchFinding]:
        """Live findings the check no longer gives: renamed (kept), else fixed or withdrawn (returned)."""
        stored = dict(PatchFinding.objects.filter(pk__in=[row[0] for row in rows]).values_list("pk", "advisory_ids"))
        closed = []
        for pk, asset_id, ecosystem, package, status in rows:
            ids = set(stored.get(pk) or ())
            renamed = self._renamed(computed[asset_id], ecosystem, package, ids)
            if renamed is not None:  # the vulnerability got a new canonical id: same finding
                changed[pk] = (renamed, status)
                continue
            finding = PatchFinding(pk=pk, status=PatchFinding.Status.FIXED, fixed_at=self.now, updated_at=self.now)
            if ids and ids <= self.withdrawn:
                finding.status = PatchFinding.Status.WITHDRAWN
                self.counts.withdrawn += 1
            else:
                self.counts.fixed += 1
            finding._key = (asset_id, ecosystem, package)  # type: ignore[attr-defined]
            closed.append(finding)
        self._installed_now(closed, inventories)
        return closed

    @staticmethod
    def _renamed(mine: dict[Key, Found], ecosystem: str, package: str, ids: set[str]) -> Found | None:
        for key, found in mine.items():
            if key[0] == ecosystem and key[1] == package and ids.intersection(found.advisory_ids):
                return mine.pop(key)
        return None

    @staticmethod
    def _installed_now(closed: list[PatchFinding], inventories: dict[int, int]) -> None:
        """``fixed_version``: what the asset has installed of the package now (empty: removed)."""
        if not closed:
            return
        names = {finding._key[2] for finding in closed}  # type: ignore[attr-defined]
        rows = InstalledPackage.objects.filter(inventory_id__in=list(inventories), match_name__in=names).values_list(
            "inventory_id", "ecosystem", "match_name", "version", "source_version"
        )
        installed: dict[tuple[int, str, str], set[str]] = {}
        for inventory_id, ecosystem, name, version, source_version in rows:
            installed.setdefault((inventories[inventory_id], ecosystem, name), set()).add(source_version or version)
        for finding in closed:
            finding.fixed_version = cut(", ".join(sorted(installed.get(finding._key, ()))), 500)  # type: ignore[attr-defined]


def _advisories_for(inventory_ids: list[int]) -> QuerySet[Advisory]:
    """The advisories naming a package of these inventories, and the rest of their alias groups."""
    names = InstalledPackage.objects.filter(inventory_id__in=inventory_ids).values("match_name")
    naming = AdvisoryPackage.objects.filter(name__in=names).values("advisory_id")
    groups = Advisory.objects.filter(pk__in=naming, withdrawn__isnull=True).values("vulnerability_id")
    return Advisory.objects.filter(vulnerability_id__in=groups)


def figures(asset_ids: list[int] | None = None, today: date | None = None) -> dict[str, Any]:
    """Live, open and overdue findings (of active assets), and the compliance figure over them."""
    today = today or timezone.localdate()
    findings = PatchFinding.objects.filter(status__in=LIVE, asset__is_active=True)
    if asset_ids is not None:
        findings = findings.filter(asset_id__in=asset_ids)
    counts = findings.aggregate(
        live=Count("pk"),
        open=Count("pk", filter=Q(status=OPEN)),
        overdue=Count("pk", filter=Q(status=OPEN, due_date__lt=today)),
    )
    live = counts["live"] or 0
    counts["compliance"] = round(100.0 * (live - counts["overdue"]) / live, 1) if live else 100.0
    return counts


@transaction.atomic
def check_assets(*, asset_ids: list[int] | None, actor: User | None, via: str) -> PatchCheckRun:
    """Check ``asset_ids`` (None: every active asset with a current inventory); no permission check."""
    from policies.models import PatchPolicy

    started = time.perf_counter()
    now = timezone.now()
    today = timezone.localdate()
    current = Inventory.objects.filter(is_current=True, asset__is_active=True)
    if asset_ids is not None:
        current = current.filter(asset_id__in=asset_ids)
    inventories = dict(current.values_list("pk", "asset_id"))
    advisories = Advisory.objects.all() if asset_ids is None else _advisories_for(list(inventories))
    matcher = Matcher(advisories)
    withdrawn = set(Advisory.objects.filter(withdrawn__isnull=False).values_list("advisory_id", flat=True))
    check = _Check(matcher, PatchPolicy.current().sla(), today, now, withdrawn)
    assets = sorted(set(inventories.values()))
    for start in range(0, len(assets), ASSET_BATCH):
        batch = assets[start : start + ASSET_BATCH]
        wanted = set(batch)
        check.batch(batch, {pk: asset for pk, asset in inventories.items() if asset in wanted})
    counts = figures(assets if asset_ids is not None else None, today)
    single = Asset.objects.get(pk=asset_ids[0]) if asset_ids is not None and len(asset_ids) == 1 else None
    run = PatchCheckRun(
        started_at=now,
        finished_at=timezone.now(),
        asset=single,
        via=via[:40],
        actor=actor,
        assets_checked=len(assets),
        packages_checked=check.counts.packages,
        advisories_indexed=len(matcher),
        new_findings=check.counts.new,
        fixed_findings=check.counts.fixed,
        reopened_findings=check.counts.reopened,
        withdrawn_findings=check.counts.withdrawn,
        open_findings=counts["open"],
        overdue_findings=counts["overdue"],
        new_critical=check.counts.new_critical,
        unmatched_rows=matcher.unmatched,
        compliance=counts["compliance"],
        problems=matcher.problems,
        seconds=round(time.perf_counter() - started, 3),
    )
    run.save()
    return run


@transaction.atomic
def run_patch_check(*, actor: User | None, asset: Asset | None = None, via: str = "command") -> PatchCheckRun:
    """Re-match every current inventory (or ``asset``'s) against the stored advisories."""
    authorize(actor, CHECK_PERM)
    return check_assets(asset_ids=[asset.pk] if asset is not None else None, actor=actor, via=via)
