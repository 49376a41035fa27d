"""Evidence the system produces itself, offered by the apps that produce it.

Each app that produces evidence (scheduler job runs, backup runs, restore drills, patch
checks, access reviews, policy acknowledgements) registers a provider in its ``evidence``
module (``<app>/evidence.py``, found through ``core.discovery``) or its ``AppConfig.ready``.
``audits`` reads the registry to show the items on an engagement page and to put them in
evidence packs; the producing apps never import ``audits``.

A provider is ``func(start, end) -> Iterable[dict]`` for the period ``[start, end]`` (dates,
inclusive). Each dict is plain JSON-able data with at least ``title`` (text) and ``date``
(ISO date); ``kind``, ``status``, ``detail`` and ``url`` are optional.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.discovery import discover_modules

EvidenceProvider = Callable[[date, date], Iterable[dict[str, Any]]]


@dataclass(frozen=True)
class ProvidedEvidence:
    provider: str
    items: list[dict[str, Any]]
    error: str = ""


_PROVIDERS: dict[str, EvidenceProvider] = {}


def register_evidence_provider(name: str, func: EvidenceProvider) -> None:
    """Register (or replace) the provider called ``name`` (e.g. ``"backups.runs"``)."""
    _PROVIDERS[name] = func


def evidence_providers() -> dict[str, EvidenceProvider]:
    discover_modules("evidence")
    return dict(_PROVIDERS)


def collect_evidence(start: date, end: date) -> list[ProvidedEvidence]:
    """Every provider's items for the period, by provider name; a failing provider is reported, not fatal."""
    collected = []
    for name, func in sorted(evidence_providers().items()):
        try:
            items = [dict(item) for item in func(start, end)]
        except Exception as exc:  # one app's bug must not hide the other apps' evidence
            collected.append(ProvidedEvidence(name, [], error=f"{type(exc).__name__}: {exc}"))
            continue
        collected.append(ProvidedEvidence(name, items))
    return collected
