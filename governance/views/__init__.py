"""Governance views, one module per area."""
