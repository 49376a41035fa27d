"""A readable diff between two versions of a policy, line by line (``difflib``).

``diff_lines`` gives rows for a two-column table: each row is an old line and a new line with
its kind (``same``, ``changed``, ``added``, ``removed``); unchanged runs longer than the context
are folded into one ``skip`` row. Templates colour rows by CSS class (no inline style: strict CSP).
``unified_diff`` is the plain-text form (for CSV/API or a download).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT = 3


@dataclass(frozen=True)
class DiffRow:
    kind: str  # same | changed | added | removed | skip
    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str

    @property
    def skipped(self) -> int:
        """For a ``skip`` row: how many unchanged lines it stands for."""
        return int(self.old_text) if self.kind == "skip" else 0


@dataclass(frozen=True)
class DiffSummary:
    rows: list[DiffRow]
    added: int
    removed: int
    changed: int

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _rows_of(opcode: tuple[str, int, int, int, int], old: list[str], new: list[str]) -> list[DiffRow]:
    tag, i1, i2, j1, j2 = opcode
    if tag == "equal":
        return [DiffRow("same", i1 + k + 1, old[i1 + k], j1 + k + 1, new[j1 + k]) for k in range(i2 - i1)]
    if tag == "delete":
        return [DiffRow("removed", i + 1, old[i], None, "") for i in range(i1, i2)]
    if tag == "insert":
        return [DiffRow("added", None, "", j + 1, new[j]) for j in range(j1, j2)]
    rows = []
    for k in range(max(i2 - i1, j2 - j1)):
        i, j = i1 + k, j1 + k
        if i < i2 and j < j2:
            rows.append(DiffRow("changed", i + 1, old[i], j + 1, new[j]))
        elif i < i2:
            rows.append(DiffRow("removed", i + 1, old[i], None, ""))
        else:
            rows.append(DiffRow("added", None, "", j + 1, new[j]))
    return rows


def _fold(rows: list[DiffRow], context: int) -> list[DiffRow]:
    """Fold runs of unchanged rows far from any change into one ``skip`` row."""
    changed = [n for n, row in enumerate(rows) if row.kind != "same"]
    if not changed:
        return rows
    keep = {n for c in changed for n in range(c - context, c + context + 1)}
    folded: list[DiffRow] = []
    run = 0
    for n, row in enumerate(rows):
        if n in keep:
            if run:
                folded.append(DiffRow("skip", None, str(run), None, ""))
                run = 0
            folded.append(row)
        else:
            run += 1
    if run:
        folded.append(DiffRow("skip", None, str(run), None, ""))
    return folded


def diff_lines(old_text: str, new_text: str, *, context: int = CONTEXT) -> DiffSummary:
    old, new = old_text.splitlines(), new_text.splitlines()
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    rows = [row for opcode in matcher.get_opcodes() for row in _rows_of(opcode, old, new)]
    return DiffSummary(
        rows=_fold(rows, context),
        added=sum(row.kind == "added" for row in rows),
        removed=sum(row.kind == "removed" for row in rows),
        changed=sum(row.kind == "changed" for row in rows),
    )


def unified_diff(old_text: str, new_text: str, *, old_label: str, new_label: str) -> str:
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), fromfile=old_label, tofile=new_label, lineterm=""
    )
    return "\n".join(lines)
