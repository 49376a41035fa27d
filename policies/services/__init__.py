"""Every change the policies app makes. Patch checks: ``inventories``, ``advisories``,
``patch_check`` (matching and findings), ``patch_findings`` (acceptance, the patch policy).

Each service takes the acting ``User`` and checks its permission first. ``actor=None`` is the
system itself: the scheduler, or a management command run on the server by someone who
already holds its shell and database; pages and the API always pass the signed-in user.
"""

from __future__ import annotations

from typing import Any

from core.permissions import require_perm


def authorize(actor: Any, perm: str) -> None:
    """``require_perm`` for a person; ``None`` (the system) passes."""
    if actor is not None:
        require_perm(actor, perm)
