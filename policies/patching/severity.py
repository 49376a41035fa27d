"""Severity levels, CVSS 3.x base scores and the mapping of vendor ratings.

``cvss3_base_score`` implements the CVSS v3.1 base score formula (specification section
7.1 and the ``Roundup`` of Appendix A) for ``CVSS:3.0/`` and ``CVSS:3.1/`` vectors; 3.0
vectors use the same metric weights, and the 3.1 ``Roundup`` (which only removes
floating-point artefacts) is applied to both. Temporal and environmental metrics in the
vector are validated but do not change the *base* score. CVSS v4 scores need FIRST's
macro-vector lookup table, which this engine does not carry: a v4 vector is kept for
display and the level comes from another source (see ``osv.severity_of``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Severity levels, from a CVSS qualitative rating or a vendor's word."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Higher is worse; ``unknown`` ranks as ``high`` (the SLA treats it so)."""
        return _RANK[self]


_RANK = {
    Severity.NONE: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.UNKNOWN: 3,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class CVSSError(ValueError):
    """A CVSS vector that cannot be scored."""


@dataclass(frozen=True, slots=True)
class SeverityInfo:
    """A level and where it came from.

    ``source`` is ``cvss_v3`` (``score`` is the computed base score), ``cvss_v4`` (not
    used for the level, see module doc), ``database_specific``, ``ecosystem_specific``,
    ``Ubuntu``, ``debian_urgency`` or ``none`` (level ``unknown``).
    """

    level: Severity
    source: str = "none"
    score: float | None = None
    vector: str | None = None


UNKNOWN_SEVERITY = SeverityInfo(Severity.UNKNOWN)

# -- CVSS 3.x --------------------------------------------------------------------------

_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}

_BASE_VALUES: dict[str, frozenset[str]] = {
    "AV": frozenset(_AV),
    "AC": frozenset(_AC),
    "PR": frozenset(_PR_UNCHANGED),
    "UI": frozenset(_UI),
    "S": frozenset("UC"),
    "C": frozenset(_CIA),
    "I": frozenset(_CIA),
    "A": frozenset(_CIA),
}
_OTHER_VALUES: dict[str, frozenset[str]] = {
    "E": frozenset("XUPFH"),
    "RL": frozenset("XOTWU"),
    "RC": frozenset("XURC"),
    "CR": frozenset("XLMH"),
    "IR": frozenset("XLMH"),
    "AR": frozenset("XLMH"),
    "MAV": frozenset("XNALP"),
    "MAC": frozenset("XLH"),
    "MPR": frozenset("XNLH"),
    "MUI": frozenset("XNR"),
    "MS": frozenset("XUC"),
    "MC": frozenset("XNLH"),
    "MI": frozenset("XNLH"),
    "MA": frozenset("XNLH"),
}


def roundup(value: float) -> float:
    """CVSS v3.1 ``Roundup``: the smallest one-decimal number >= value, free of float noise."""
    as_int = round(value * 100_000)
    if as_int % 10_000 == 0:
        return as_int / 100_000.0
    return (math.floor(as_int / 10_000) + 1) / 10.0


def parse_cvss3_vector(vector: str) -> dict[str, str]:
    """The metrics of a ``CVSS:3.x/...`` vector; ``CVSSError`` if malformed or incomplete."""
    prefix, _, body = vector.strip().partition("/")
    if prefix not in ("CVSS:3.0", "CVSS:3.1"):
        raise CVSSError(f"{vector!r}: not a CVSS 3.0/3.1 vector (prefix {prefix!r})")
    metrics: dict[str, str] = {}
    for item in body.split("/"):
        name, colon, value = item.partition(":")
        allowed = _BASE_VALUES.get(name) or _OTHER_VALUES.get(name)
        if not colon or allowed is None:
            raise CVSSError(f"{vector!r}: unknown metric {item!r}")
        if name in metrics:
            raise CVSSError(f"{vector!r}: metric {name} given twice")
        if value not in allowed:
            raise CVSSError(f"{vector!r}: {name}:{value} is not a valid value")
        metrics[name] = value
    missing = [name for name in _BASE_VALUES if name not in metrics]
    if missing:
        raise CVSSError(f"{vector!r}: missing base metric(s) {', '.join(missing)}")
    return metrics


def cvss3_base_score(vector: str) -> float:
    """Base score (0.0-10.0) of a CVSS 3.0/3.1 vector, per the CVSS v3.1 formula."""
    m = parse_cvss3_vector(vector)
    changed = m["S"] == "C"
    iss = 1 - (1 - _CIA[m["C"]]) * (1 - _CIA[m["I"]]) * (1 - _CIA[m["A"]])
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    privileges = (_PR_CHANGED if changed else _PR_UNCHANGED)[m["PR"]]
    exploitability = 8.22 * _AV[m["AV"]] * _AC[m["AC"]] * privileges * _UI[m["UI"]]
    if impact <= 0:
        return 0.0
    if changed:
        return roundup(min(1.08 * (impact + exploitability), 10.0))
    return roundup(min(impact + exploitability, 10.0))


def level_from_score(score: float) -> Severity:
    """CVSS qualitative rating: 0 none, <4 low, <7 medium, <9 high, else critical."""
    if score <= 0.0:
        return Severity.NONE
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL


# -- vendor words ------------------------------------------------------------------------

_WORDS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.LOW,
    # Debian tracker urgency: "unimportant" means no security impact worth an update.
    "unimportant": Severity.LOW,
    "none": Severity.NONE,
}


def level_from_word(word: str) -> Severity:
    """``HIGH``, ``moderate``, ``Important``, ``low**`` -> a level; anything else -> unknown.

    Debian's urgencies sometimes carry trailing ``*`` (uncertain); they are ignored.
    ``not yet assigned`` and ``end-of-life`` are unknown.
    """
    return _WORDS.get(word.strip().rstrip("*").strip().lower(), Severity.UNKNOWN)


def worst(infos: Iterable[SeverityInfo]) -> SeverityInfo:
    """The highest-ranked info (a known level wins a tie with ``unknown``); unknown if none."""
    best: SeverityInfo | None = None
    best_rank = -1
    for info in infos:
        rank = _RANK[info.level]
        if rank > best_rank or (rank == best_rank and best is not None and best.level is Severity.UNKNOWN):
            best, best_rank = info, rank
    return best or UNKNOWN_SEVERITY
