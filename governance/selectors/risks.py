"""Risks as a user may see them: the register, its filters, and the heat map.

The register and the heat map share one filter set (``governance.filters.RiskFilterSet``),
so a heat-map cell links to the register filtered to exactly the risks it counted:
``?view=inherent&likelihood=3&impact=4`` plus the heat map's own filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from access.models import User
from core.errors import DomainError
from governance.models import Risk, RiskMatrix
from governance.scoping import scoped

VIEWS = ("inherent", "residual")
CELL_PARAMS = ("view", "likelihood", "impact")


def risk_matrix() -> RiskMatrix:
    """The one risk matrix (created by migration 0002)."""
    matrix = RiskMatrix.objects.filter(pk=1).first() or RiskMatrix.objects.order_by("pk").first()
    if matrix is None:
        raise DomainError("No risk matrix is configured; run the migrations.")
    return matrix


def risks_visible_to(user: User) -> QuerySet[Risk]:
    """Risks ``user`` may see (all of them for risk managers, their own for owners)."""
    return scoped(user, Risk.objects.select_related("owner").prefetch_related("assets"))


def risk_for(user: User, pk: int) -> Risk:
    """One risk ``user`` may see, with what its page shows; ``Risk.DoesNotExist`` otherwise."""
    queryset = scoped(user, Risk.objects.select_related("owner", "accepted_by"))
    return queryset.prefetch_related("assets", "controls", "findings").get(pk=pk)


def band_ranges(matrix: RiskMatrix) -> list[tuple[int, int, dict[str, Any]]]:
    """(lowest score, highest score, band) for each band of the matrix."""
    ranges = []
    low = 1
    for band in matrix.bands:
        ranges.append((low, int(band["max_score"]), band))
        low = int(band["max_score"]) + 1
    return ranges


def band_index(matrix: RiskMatrix, score: int) -> int:
    for index, (_, high, _) in enumerate(band_ranges(matrix)):
        if score <= high:
            return index
    return max(len(matrix.bands) - 1, 0)


def level_label(labels: list[str], value: int) -> str:
    """The label of level ``value`` (1-based), or the number when off the grid."""
    return labels[value - 1] if 0 < value <= len(labels) else str(value)


# Acceptances by when they end. ``acceptance_expires_on`` is set only on accepted risks,
# and an acceptance holds through its expiry date (as exceptions do).
EXPIRING_DAYS = 30
ACCEPTANCE_WINDOWS: dict[str, tuple[str, tuple[int | None, int | None]]] = {
    "expired": ("Acceptance expired", (None, -1)),
    "expiring": (f"Acceptance ends within {EXPIRING_DAYS} days", (0, EXPIRING_DAYS)),
}


def acceptance_window(key: str) -> tuple[date, date]:
    """The (first, last) expiry dates of the acceptances in window ``key``; ValueError if unknown."""
    if key not in ACCEPTANCE_WINDOWS:
        raise ValueError(key)
    today = timezone.localdate()
    start, end = ACCEPTANCE_WINDOWS[key][1]
    return (
        date.min if start is None else today + timedelta(days=start),
        date.max if end is None else today + timedelta(days=end),
    )


def acceptance_counts(user: User) -> dict[str, int]:
    """Open risks ``user`` may see whose acceptance has expired or ends soon (one query)."""
    accepted = risks_visible_to(user).filter(status=Risk.Status.OPEN, treatment=Risk.Treatment.ACCEPT)
    counts = {
        key: Count("pk", filter=Q(acceptance_expires_on__range=acceptance_window(key))) for key in ACCEPTANCE_WINDOWS
    }
    return accepted.aggregate(**counts)


@dataclass(frozen=True)
class RiskHome:
    """The open risks ``user`` owns that need them now, for the home page."""

    open_count: int
    lapsed: list[Risk]  # acceptance expired: a new decision is due
    ending: list[Risk]  # acceptance ends within EXPIRING_DAYS
    review_due: list[Risk]  # review date passed


RISK_HOME_LIMIT = 10


def risk_home(user: User) -> RiskHome:
    """Open risks owned by ``user`` whose acceptance lapsed or ends soon, or whose review is due.

    Four queries; one for whoever owns no open risk (most people), since the lists would be empty.
    """
    today = timezone.localdate()
    own = Risk.objects.filter(owner=user, status=Risk.Status.OPEN) if user.is_authenticated else Risk.objects.none()
    count = own.count()
    if not count:
        return RiskHome(open_count=0, lapsed=[], ending=[], review_due=[])
    return RiskHome(
        open_count=count,
        lapsed=list(own.filter(acceptance_expires_on__range=acceptance_window("expired"))[:RISK_HOME_LIMIT]),
        ending=list(
            own.filter(acceptance_expires_on__range=acceptance_window("expiring")).order_by("acceptance_expires_on")[
                :RISK_HOME_LIMIT
            ]
        ),
        review_due=list(own.filter(review_date__lt=today).order_by("review_date")[:RISK_HOME_LIMIT]),
    )


@dataclass(frozen=True)
class Cell:
    """The heat-map cell a list is narrowed to, from ``?view=&likelihood=&impact=``."""

    view: str
    likelihood: int
    impact: int

    @property
    def params(self) -> dict[str, str]:
        return {"view": self.view, "likelihood": str(self.likelihood), "impact": str(self.impact)}


def parse_cell(params: Mapping[str, str], size: int) -> Cell | None:
    """The cell named by the query string, or None when absent or malformed (never an error)."""
    view = params.get("view") or "inherent"
    if view not in VIEWS or not params.get("likelihood") or not params.get("impact"):
        return None
    try:
        likelihood, impact = int(params["likelihood"]), int(params["impact"])
    except (TypeError, ValueError):
        return None
    if not (1 <= likelihood <= size and 1 <= impact <= size):
        return None
    return Cell(view, likelihood, impact)


def in_cell(queryset: QuerySet[Risk], cell: Cell | None) -> QuerySet[Risk]:
    if cell is None:
        return queryset
    return queryset.filter(**{f"{cell.view}_likelihood": cell.likelihood, f"{cell.view}_impact": cell.impact})


def risks_for_list(user: User, matrix: RiskMatrix, params: Mapping[str, str]) -> tuple[QuerySet[Risk], Cell | None]:
    """Visible risks narrowed to the heat-map cell in ``params`` (if any), for the register and its CSV."""
    cell = parse_cell(params, matrix.size)
    queryset = risks_visible_to(user).select_related("accepted_by").prefetch_related("controls")
    return in_cell(queryset, cell), cell


# --- Heat map ---


@dataclass(frozen=True)
class HeatCell:
    likelihood: int
    impact: int
    likelihood_label: str
    impact_label: str
    count: int
    score: int
    band_index: int
    band_label: str
    url: str

    @property
    def aria_label(self) -> str:
        noun = "risk" if self.count == 1 else "risks"
        return (
            f"Likelihood {self.likelihood} ({self.likelihood_label}) x Impact {self.impact} ({self.impact_label}): "
            f"{self.count} {noun}"
        )


@dataclass(frozen=True)
class HeatMap:
    view: str
    matrix: RiskMatrix
    rows: list[tuple[int, str, list[HeatCell]]]  # likelihood, its label, cells by impact; highest first
    impacts: list[tuple[int, str]]
    total: int
    filters: dict[str, str]

    def cell(self, likelihood: int, impact: int) -> HeatCell:
        for level, _, cells in self.rows:
            if level == likelihood:
                return cells[impact - 1]
        raise KeyError((likelihood, impact))

    @property
    def bands(self) -> list[tuple[int, int, int, dict[str, Any]]]:
        return [(i, lo, hi, band) for i, (lo, hi, band) in enumerate(band_ranges(self.matrix))]


def heat_map_of(queryset: QuerySet[Risk], *, view: str, matrix: RiskMatrix, kept: Mapping[str, str]) -> HeatMap:
    """Counts of ``queryset``'s risks per likelihood x impact cell, in one aggregate query.

    ``kept`` are the register's filters that selected ``queryset``; each cell's URL
    carries them, so it lists exactly the risks counted.
    """
    view = view if view in VIEWS else "inherent"
    kept = dict(kept)
    likelihood_field, impact_field = f"{view}_likelihood", f"{view}_impact"
    counted = queryset.order_by().values(likelihood_field, impact_field).annotate(n=Count("pk", distinct=True))
    counts = {(row[likelihood_field], row[impact_field]): row["n"] for row in counted}
    list_url = reverse("governance:risk_list")
    size = matrix.size
    impacts = [(i, matrix.impact_labels[i - 1]) for i in range(1, size + 1)]
    rows = []
    for likelihood in range(size, 0, -1):
        likelihood_label = matrix.likelihood_labels[likelihood - 1]
        cells = []
        for impact, impact_label in impacts:
            score = likelihood * impact
            index = band_index(matrix, score)
            params = {**kept, "view": view, "likelihood": str(likelihood), "impact": str(impact)}
            cells.append(
                HeatCell(
                    likelihood=likelihood,
                    impact=impact,
                    likelihood_label=likelihood_label,
                    impact_label=impact_label,
                    count=counts.get((likelihood, impact), 0),
                    score=score,
                    band_index=index,
                    band_label=str(matrix.bands[index]["label"]),
                    url=f"{list_url}?{urlencode(params)}",
                )
            )
        rows.append((likelihood, likelihood_label, cells))
    return HeatMap(view, matrix, rows, impacts, sum(counts.values()), kept)


def top_residual_risks(user: User, limit: int = 10) -> list[Risk]:
    """The open risks with the highest residual score, for dashboards."""
    queryset = scoped(user, Risk.objects.select_related("owner")).filter(status=Risk.Status.OPEN)
    return list(queryset.order_by("-residual_score", "ref")[:limit])
