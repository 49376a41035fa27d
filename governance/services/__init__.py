"""Governance services, one module per area."""
