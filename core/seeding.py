"""The registry of seeders: demo content and scale data, contributed by each app.

Each app lists its seeders in ``<app>/seed.py``::

    from core.seeding import SeedContext, register_demo_seeder

    @register_demo_seeder(order=10)
    def seed_personas(ctx: SeedContext) -> None:
        ...
        ctx.record("users", created)

``seed_demo`` and ``seed_scale`` import those modules (like the jobs registry does),
then run the seeders by ``order`` (lower first; the personas come at 10, so later
seeders find them in ``ctx.shared["personas"]``). Demo seeders must be idempotent:
a second run creates nothing. Scale seeders receive ``ctx.factor``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.discovery import discover_modules


@dataclass(frozen=True)
class SignIn:
    """A sign-in the demo prints at the end, so people can try each role."""

    email: str
    password: str
    role: str
    note: str = ""


@dataclass
class SeedContext:
    """What a seeder gets: where to write, what it made, and what earlier seeders made."""

    write: Callable[[str], None] = print
    factor: int = 1
    via: str = "command:seed"
    created: Counter[str] = field(default_factory=Counter)
    shared: dict[str, Any] = field(default_factory=dict)
    sign_ins: list[SignIn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, label: str, count: int = 1) -> None:
        """Count ``count`` new rows of ``label``; zero counts still show the label."""
        self.created[label] += count


Seeder = Callable[[SeedContext], None]


@dataclass(frozen=True)
class RegisteredSeeder:
    order: int
    name: str
    func: Seeder


_DEMO: dict[str, RegisteredSeeder] = {}
_SCALE: dict[str, RegisteredSeeder] = {}


def _name(func: Seeder) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def register_demo_seeder(order: int) -> Callable[[Seeder], Seeder]:
    """Register an idempotent seeder of demo content, run by ``seed_demo``."""

    def decorate(func: Seeder) -> Seeder:
        _DEMO[_name(func)] = RegisteredSeeder(order, _name(func), func)
        return func

    return decorate


def register_scale_seeder(order: int) -> Callable[[Seeder], Seeder]:
    """Register a seeder of bulk data for benchmarks, run by ``seed_scale --factor N``."""

    def decorate(func: Seeder) -> Seeder:
        _SCALE[_name(func)] = RegisteredSeeder(order, _name(func), func)
        return func

    return decorate


def discover() -> None:
    """Import every app's ``seed`` module once; importing registers its seeders."""
    discover_modules("seed")


def demo_seeders() -> list[RegisteredSeeder]:
    discover()
    return sorted(_DEMO.values(), key=lambda s: (s.order, s.name))


def scale_seeders() -> list[RegisteredSeeder]:
    discover()
    return sorted(_SCALE.values(), key=lambda s: (s.order, s.name))
