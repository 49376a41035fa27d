"""The order of framework versions, as people write them: 2013 < 2022, 1.9 < 1.10, v2 < v3.

A version is split into numbers and words (punctuation and spaces only separate them,
case is ignored): ``"Rev. 5"`` is ``("rev", 5)``, ``"1.10"`` is ``(1, 10)``. Two versions
are compared part by part: numbers by value, words only for equality. When the parts
cannot be compared (a number against a word, two different words, an extra word at
the end such as ``1.0`` against ``1.0-beta``, or a version left empty) the order is
unknown: ``compare_versions`` answers ``None`` rather than guess.
"""

from __future__ import annotations

import re

PART = re.compile(r"\d+|[^\W\d_]+")


def version_parts(version: str) -> tuple[int | str, ...]:
    """Numbers and words of a version, in order: ``"Rev. 5"`` is ``("rev", 5)``."""
    return tuple(int(p) if p.isdigit() else p for p in PART.findall(version.casefold()))


def compare_versions(left: str, right: str) -> int | None:
    """-1 when ``left`` is older than ``right``, 0 when the same, 1 when newer; None when unknown."""
    if left.strip() == right.strip():
        return 0
    a, b = version_parts(left), version_parts(right)
    if not a or not b:
        return None
    for x, y in zip(a, b, strict=False):
        if isinstance(x, int) and isinstance(y, int):
            if x != y:
                return -1 if x < y else 1
        elif x != y:
            return None
    # One is the other with more parts: 2 = 2.0 and 1.0 < 1.0.1, but 1.0 against 1.0-beta is unknown.
    extra = a[len(b) :] or b[len(a) :]
    if any(isinstance(part, str) for part in extra):
        return None
    if not any(extra):
        return 0
    return -1 if len(a) < len(b) else 1
