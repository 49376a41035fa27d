"""API of the policies app, one module per feature (found by ``core.discovery``): ``documents``, ``patching``."""

from policies.api import documents, patching

__all__ = ["documents", "patching"]
