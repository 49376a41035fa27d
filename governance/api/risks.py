"""Governance API for risks: viewsets registered on workbench.api.router."""
