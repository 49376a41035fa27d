"""Governance selectors, one module per area."""
