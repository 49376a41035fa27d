"""Routes of the type-ahead pickers' search endpoints (included by governance/urls.py)."""

from django.urls import URLPattern, path

from governance.views import pickers as views

urlpatterns: list[URLPattern] = [
    path("pickers/people/", views.people_search, name="people_search"),
    path("pickers/assets/", views.asset_search, name="asset_search"),
    path("pickers/controls/", views.control_search, name="control_search"),
    path("pickers/requirements/", views.requirement_search, name="requirement_search"),
    path("pickers/control-tests/", views.control_test_search, name="control_test_search"),
]
