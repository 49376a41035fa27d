"""Flags that other apps raise on controls, without governance importing them.

``audits`` knows which evidence has expired; governance may not import ``audits``. So
``audits`` registers a flag here in its ``AppConfig.ready()`` (as it registers its scope in
``core.scopes``), and the control list and page read the registry:

- ``register_control_flag(ControlFlag(...))``: ``condition()`` is a boolean expression on a
  ``Control`` row (e.g. ``Exists(... OuterRef("pk") ...)``), computed in the same query as the
  rows, so a flag costs no query of its own; ``label`` is the badge; ``link(control)``, if
  given, is where the badge points (e.g. the evidence of the control).
- ``with_control_flags(controls)`` annotates each registered flag as ``flag_<name>``;
  ``raised_flags(control)`` lists those raised on one annotated row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from governance.models import Control


@dataclass(frozen=True)
class ControlFlag:
    name: str
    label: str
    condition: Callable[[], Any]
    title: str = ""
    link: Callable[[Control], str] | None = None

    @property
    def attr(self) -> str:
        return f"flag_{self.name}"


@dataclass(frozen=True)
class RaisedFlag:
    label: str
    title: str
    url: str


_FLAGS: dict[str, ControlFlag] = {}


def register_control_flag(flag: ControlFlag) -> None:
    """Register (or replace) the flag called ``flag.name``."""
    _FLAGS[flag.name] = flag


def control_flags() -> list[ControlFlag]:
    return [_FLAGS[name] for name in sorted(_FLAGS)]


def with_control_flags(controls: QuerySet[Control]) -> QuerySet[Control]:
    """``controls`` with every registered flag as a boolean column ``flag_<name>`` (same query)."""
    return controls.annotate(**{flag.attr: flag.condition() for flag in control_flags()})


def raised_flags(control: Control) -> list[RaisedFlag]:
    """The flags raised on ``control`` (a row of ``with_control_flags``)."""
    return [
        RaisedFlag(flag.label, flag.title, flag.link(control) if flag.link else "")
        for flag in control_flags()
        if getattr(control, flag.attr, False)
    ]
