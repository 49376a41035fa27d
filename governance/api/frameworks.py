"""Governance API for frameworks: viewsets registered on workbench.api.router."""
