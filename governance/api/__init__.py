"""Governance API: one module per area; each registers its viewsets on the shared router when imported."""

from governance.api import assets, controls, exceptions, findings, frameworks, risks  # noqa: F401
