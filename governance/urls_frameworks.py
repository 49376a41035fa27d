"""Routes of the governance frameworks pages (included by governance/urls.py)."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
