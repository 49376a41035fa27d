"""Governance API for controls: viewsets registered on workbench.api.router."""
