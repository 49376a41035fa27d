"""Governance API: each area registers its viewsets on the shared router when imported."""

from governance.api import controls, frameworks, risks  # noqa: F401
